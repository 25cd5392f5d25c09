// Safe paths for writing a tar into a directory: entry names cleaned into components, a chain of
// directory fds walked component by component (O_NOFOLLOW: a symlink on the way is refused, or, in a
// container, followed inside its root), and an rm -rf that never follows a symlink. Everything is
// relative to an fd; no host path is built from an entry's name.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "fd.h"
#include "layer_error.h"

namespace berth {

// Path hygiene (src/layers/paths.ts cleanEntryName): name split into components without "", "." and
// "..". A ".." or a NUL byte is refused (UNSAFE_ENTRY, naming `what`).
bool CleanName(const std::string &name, const char *what, std::vector<std::string> *comps, LayerErr *err);
// comps[0..n) joined with "/".
std::string Join(const std::vector<std::string> &comps, size_t n);

// Removes name under dirfd, recursively when it is a directory; a missing name is fine.
bool RemoveTree(int dirfd, const char *name, const std::string &entry, LayerErr *err);

// Where a layer's inodes go. ext4 without a journal will not reuse an inode freed in the last 5 minutes
// while it is still in a dirty inode table block: every create scans past all of them, from the start of
// the group. The layers of one data root share a group (ext4 keeps a subdirectory and its files in its
// parent's), so right after a layer, an image or a container tree was removed there, unpacking the next
// one can cost seconds of system time instead of a fraction of one. So the layer root is marked as the
// top of a hierarchy (chattr +T), and its top-level directories are made under a random name and renamed
// into place: ext4's Orlov allocator then starts each in a little-used group chosen from a hash of the
// name, instead of next to the freed inodes. Best effort: other filesystems lack the flag, and where an
// inode goes never changes what is written.
class TopDirs {
 public:
  // Marks dir; spreading is on when the filesystem took the flag.
  explicit TopDirs(const std::string &dir);
  // mkdirat(root, name, mode), as mkdirat reports it (EEXIST included).
  int Mkdir(int root, const char *name, mode_t mode);

 private:
  bool spread_ = false;
  uint64_t next_ = 0;
};

// In a container (docker cp), a symlink of the container on the way is followed as dockerd follows it
// in its chroot: resolved inside the container's root (in_root.h), never on the host.
struct InContainer {
  int root = -1;           // fd of the container's root
  std::string destInner;  // container path of the chain's root
};

// The directory chain: O_PATH fds of the directories along the last parent used, so consecutive
// entries in one directory cost no lookups. Any removal of a directory truncates it.
class DirChain {
 public:
  enum Mode { kCreate, kExisting };
  DirChain(int root, TopDirs *top, const InContainer *in = nullptr) : root_(root), top_(top), in_(in) {}
  DirChain(const DirChain &) = delete;
  DirChain &operator=(const DirChain &) = delete;

  // fd of the directory comps[0..n) (the root when n is 0), or -1: *missing when a component is absent
  // in kExisting mode (no error), else *err. The chain owns the fd.
  int Walk(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err);
  // Closes the fds deeper than depth.
  void Truncate(size_t depth) {
    while (fds_.size() > depth) {
      fds_.pop_back();
      names_.pop_back();
    }
  }

 private:
  // The directory a symlink comps[0..n) of the container leads to, or -1 (*missing, or *err).
  int Follow(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err);

  int root_;
  TopDirs *top_;  // makes the root's subdirectories; null: plain mkdirat
  const InContainer *in_;  // null: symlinks are refused (layers)
  std::vector<std::string> names_;
  std::vector<Fd> fds_;
};

}  // namespace berth
