// Reading tars: a push parser for ustar, GNU long names/links and PAX (path, linkpath, size, mtime,
// uid, gid, SCHILY.xattr.*) that hands each entry and its body to a TarSink (the layer applier, docker
// cp's checker). Bytes arrive in chunks of any size; nothing is buffered beyond one header block and
// the metadata records. Errors are INVALID_TAR LayerErr values.
#pragma once

#include <stdint.h>
#include <time.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "layer_error.h"
#include "tar_format.h"

namespace berth {

struct Entry {
  std::string name, linkname;
  char type = '0';
  uint32_t mode = 0;
  int64_t uid = 0, gid = 0;
  uint64_t size = 0;
  struct timespec mtime = {0, 0};
  uint32_t devmajor = 0, devminor = 0;  // character and block devices
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// Receives the entries of a tar in order: Begin (header), Data (body, in pieces), End.
class TarSink {
 public:
  virtual ~TarSink() = default;
  virtual bool Begin(Entry &e, LayerErr *err) = 0;
  virtual bool Data(const char *p, size_t n, LayerErr *err) = 0;
  virtual bool End(LayerErr *err) = 0;
};

class TarReader {
 public:
  bool Feed(const char *p, size_t n, TarSink *sink, LayerErr *err);
  bool Finish(LayerErr *err);

 private:
  enum class St { kHeader, kData, kMeta, kSkip, kPad, kEof };
  bool OnHeader(TarSink *sink, LayerErr *err);
  bool OnMeta(LayerErr *err);
  void AfterBody() { st_ = pad_ ? St::kPad : St::kHeader; }

  St st_ = St::kHeader;
  char hdr_[kBlock];
  size_t fill_ = 0;
  uint64_t left_ = 0;
  size_t pad_ = 0;
  int zeros_ = 0;
  char metaType_ = 0;
  std::string meta_;
  std::string current_;  // name of the entry being read, for errors
  // Overrides for the next entry, from GNU 'L'/'K' and PAX 'x' headers.
  bool hasLongName_ = false, hasLongLink_ = false;
  std::string longName_, longLink_;
  std::map<std::string, std::string> pax_;
};

}  // namespace berth
