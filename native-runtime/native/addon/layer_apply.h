// Applying a tar (a TarSink fed by TarReader). Two modes: a layer into a snapshot directory (whiteouts
// become overlay whiteouts, or delete what they name in a plain tree; no symlink is ever followed) and
// docker cp into a container's directory (names are taken literally, symlinks of the container on the
// way are followed inside its root, the destination's own metadata is left alone, and the container
// may change the tree meanwhile: every call is relative to an fd). Nothing is ever written outside the
// destination:
//  - names with a ".." component are refused, a leading "/" is dropped;
//  - each parent is opened component by component with O_NOFOLLOW|O_DIRECTORY (dir_chain.h), so an
//    entry below a symlink (or below a non-directory) is refused, never followed;
//  - files are created O_EXCL|O_NOFOLLOW after removing whatever was there;
//  - hardlinks must name a non-directory extracted earlier from this same tar;
//  - device nodes and fifos are kept (the devices cgroup decides what a container may open); `.wh.x`
//    becomes an overlay whiteout (0:0 char device) and `.wh..wh..opq` the trusted.overlay.opaque=y xattr
//    on its directory.
// The messages and codes match src/layers/errors.ts; JS formats them into LayerError.
#pragma once

#include <time.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "dir_chain.h"
#include "disk_usage.h"
#include "fd.h"
#include "layer_error.h"
#include "tar_reader.h"

namespace berth {

struct CopyOptions {
  InContainer in;
  bool noOverwriteDirNonDir = false;
};

class Applier : public TarSink {
 public:
  // A layer into rootPath (fd root).
  Applier(int root, std::string rootPath, bool sameOwner)
      : root_(root), rootPath_(std::move(rootPath)), sameOwner_(sameOwner), top_(new TopDirs(rootPath_)), dst_(root, top_.get()), src_(root, nullptr) {}
  // docker cp into the directory fd root of a container.
  Applier(int root, const CopyOptions &copy)
      : root_(root), sameOwner_(true), copy_(new CopyOptions(copy)), dst_(root, nullptr, &copy_->in), src_(root, nullptr, &copy_->in) {}
  ~Applier() override = default;

  bool Begin(Entry &e, LayerErr *err) override;
  bool Data(const char *p, size_t n, LayerErr *err) override;
  bool End(LayerErr *err) override;
  // Directory mtimes (creating children changed them), then the usage of the result (layers only).
  bool Finish(Usage *u, LayerErr *err);

  std::vector<std::string> *names = nullptr;  // entry names seen, when JS asked for them
  // A complete tree (btrfs, vfs snapshots) instead of an overlay layer: whiteouts delete what they name,
  // an opaque marker deletes what this tar did not put in its directory (moby's UnpackLayer).
  bool plain = false;

 private:
  bool Remove(int pfd, size_t depth, const std::string &base, const std::string &entry, LayerErr *err);
  bool SetXattrs(int fd, int pfd, const std::string &base, LayerErr *err);
  bool Whiteout(int pfd, size_t depth, const std::string &base, LayerErr *err);
  bool Directory(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err);
  bool File(int pfd, size_t depth, const std::string &base, LayerErr *err);
  bool Symlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err);
  bool Hardlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err);
  bool Special(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err);
  bool NoOverwrite(int pfd, const std::string &base, const std::string &rel, LayerErr *err);

  int root_;
  std::string rootPath_;  // layers only
  bool sameOwner_;
  std::unique_ptr<CopyOptions> copy_;  // docker cp; null for layers
  std::unique_ptr<TopDirs> top_;       // layers only
  DirChain dst_, src_;
  Entry cur_;
  std::vector<std::string> comps_;
  Fd file_;
  std::string fileRel_;
  std::unordered_set<std::string> extracted_;  // non-directories from this tar: the only hardlink targets
  std::unordered_set<std::string> unpacked_;   // plain: every path this tar made
  std::map<std::string, struct timespec> dirs_;
};

// docker cp's first pass over the spooled tar, headers only, so that a hostile archive is refused with
// nothing written: names with "..", entries below a symlink of the same archive, symlinks whose
// relative target climbs above the container's root, hardlinks to anything but an earlier entry.
class CopyChecker : public TarSink {
 public:
  explicit CopyChecker(size_t destDepth) : destDepth_(destDepth) {}
  bool Begin(Entry &e, LayerErr *err) override;
  bool Data(const char *, size_t, LayerErr *) override { return true; }
  bool End(LayerErr *) override { return true; }

 private:
  size_t destDepth_;
  std::unordered_set<std::string> links_, seen_;
};

}  // namespace berth
