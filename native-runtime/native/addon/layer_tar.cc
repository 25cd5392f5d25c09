// Layer tars in C++: the per-file work of unpacking and committing layers.
//
// Applying (LayerApplier): a push parser (ustar, GNU long names/links, PAX path/linkpath/size/
// mtime/uid/gid/SCHILY.xattr.*) feeds an applier that writes with *at() calls relative to an fd of
// the destination. Nothing is ever written outside it:
//  - names with a ".." component are refused, a leading "/" is dropped;
//  - each parent is opened component by component with O_NOFOLLOW|O_DIRECTORY, so an entry below a
//    symlink (or below a non-directory) is refused, never followed;
//  - files are created O_EXCL|O_NOFOLLOW after removing whatever was there;
//  - hardlinks must name a non-directory extracted earlier from this same tar;
//  - device nodes and fifos are kept (the devices cgroup decides what a container may open); `.wh.x`
//    becomes an overlay whiteout (0:0 char device) and `.wh..wh..opq` the trusted.overlay.opaque=y xattr
//    on its directory.
// In copy mode (docker cp, containerPut) the destination is a directory inside a container's root: see
// in_root.h; a container's own symlinks on the way are followed inside that root.
// The messages and codes match src/layers/errors.ts; JS formats them into LayerError.
//
// Diffing (LayerDiffer): walks a directory in byte order of names into tar bytes: overlay whiteouts
// become `.wh.` entries, opaque directories `.wh..wh..opq`, xattrs PAX SCHILY.xattr.* records (binary
// safe; overlay's own trusted.overlay.* are left out), files with several links become hardlinks.
//
// Both run on the libuv pool, one AsyncWorker per call; JS never issues two calls on one handle at once
// (a second one gets EBUSY). Errors are values {errno, message, code?, entry?}.
#include "layer_tar.h"
#include "thread_ids.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "in_root.h"
#include "result.h"

namespace berth {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kMaxMeta = 16 << 20;  // PAX / GNU long-name bodies larger than this are not a real layer
const char kWhiteoutPrefix[] = ".wh.";
const char kWhiteoutMetaPrefix[] = ".wh..wh.";
const char kWhiteoutOpaque[] = ".wh..wh..opq";
const char kXattrPrefix[] = "SCHILY.xattr.";

bool StartsWith(const std::string &s, const char *prefix) { return s.compare(0, strlen(prefix), prefix) == 0; }

// ---------------------------------------------------------------------------------------------------
// Errors as values.

struct LayerErr {
  int err = 0;       // errno of a failed syscall; 0 for a refused entry
  std::string code;  // "UNSAFE_ENTRY" | "UNSUPPORTED_ENTRY" | "INVALID_TAR"; empty for syscall errors
  std::string message;
  std::string entry;  // tar entry (apply) or path (diff) at fault
  bool hasEntry = false;
};

bool Refuse(LayerErr *e, const char *code, std::string message, const std::string &entry) {
  e->err = 0;
  e->code = code;
  e->message = std::move(message);
  e->entry = entry;
  e->hasEntry = true;
  return false;
}

bool Sys(LayerErr *e, int err, const std::string &what, const std::string &entry = std::string()) {
  e->err = err;
  e->code.clear();
  e->message = what + ": " + strerror(err);
  e->entry = entry;
  e->hasEntry = !entry.empty();
  return false;
}

// JSON.stringify of a string, for messages that quote names as the TypeScript ones do.
std::string JsonQuote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += (char)c;
        }
    }
  }
  return out + "\"";
}

Napi::Value ErrValue(Napi::Env env, const LayerErr &e) {
  Napi::Object error = Napi::Object::New(env);
  error.Set("errno", e.err);
  error.Set("message", e.message);
  if (!e.code.empty()) error.Set("code", e.code);
  if (e.hasEntry) error.Set("entry", e.entry);
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", false);
  r.Set("error", error);
  return r;
}

std::string ProcPath(int dirfd, const std::string &name) {
  std::string p = "/proc/self/fd/" + std::to_string(dirfd);
  if (!name.empty()) p += "/" + name;
  return p;
}

void CloseFd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// ---------------------------------------------------------------------------------------------------
// Tar reading.

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

// Octal (space/NUL padded) or GNU base-256 (high bit of the first byte set).
bool ParseNumber(const char *f, size_t n, uint64_t *out) {
  const unsigned char *u = (const unsigned char *)f;
  if (u[0] & 0x80) {
    if (u[0] == 0xff) return false;  // negative
    uint64_t v = u[0] & 0x7f;
    for (size_t i = 1; i < n; i++) {
      if (v >> 55) return false;
      v = (v << 8) | u[i];
    }
    *out = v;
    return true;
  }
  size_t i = 0;
  while (i < n && (f[i] == ' ' || f[i] == '\0')) i++;
  uint64_t v = 0;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
    if (v >> 60) return false;
    v = v * 8 + (uint64_t)(f[i] - '0');
  }
  for (; i < n; i++)
    if (f[i] != ' ' && f[i] != '\0') return false;
  *out = v;
  return true;
}

std::string Field(const char *f, size_t n) { return std::string(f, strnlen(f, n)); }

bool ParseDecimal(const std::string &s, int64_t *out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// PAX times: "1600000000" or "1600000000.123456789", possibly negative.
bool ParsePaxTime(const std::string &s, struct timespec *ts) {
  bool neg = !s.empty() && s[0] == '-';
  std::string body = neg ? s.substr(1) : s;
  size_t dot = body.find('.');
  int64_t sec;
  if (!ParseDecimal(body.substr(0, dot), &sec)) return false;
  int64_t nsec = 0;
  if (dot != std::string::npos) {
    std::string frac = body.substr(dot + 1, 9);
    for (char c : frac)
      if (c < '0' || c > '9') return false;
    frac.resize(9, '0');
    ParseDecimal(frac, &nsec);
  }
  if (neg) {
    sec = -sec;
    if (nsec) {
      sec -= 1;
      nsec = 1000000000 - nsec;
    }
  }
  ts->tv_sec = (time_t)sec;
  ts->tv_nsec = (long)nsec;
  return true;
}

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

bool TarReader::Feed(const char *p, size_t n, TarSink *sink, LayerErr *err) {
  while (n > 0) {
    switch (st_) {
      case St::kEof:
        return true;  // after the end-of-archive blocks: padding (the diffID hash still covers it)
      case St::kHeader: {
        size_t take = std::min(kBlock - fill_, n);
        memcpy(hdr_ + fill_, p, take);
        fill_ += take;
        p += take;
        n -= take;
        if (fill_ < kBlock) return true;
        fill_ = 0;
        if (!OnHeader(sink, err)) return false;
        break;
      }
      case St::kData: {
        size_t take = (size_t)std::min<uint64_t>(left_, n);
        if (!sink->Data(p, take, err)) return false;
        p += take;
        n -= take;
        left_ -= take;
        if (left_ == 0) {
          if (!sink->End(err)) return false;
          AfterBody();
        }
        break;
      }
      case St::kMeta: {
        size_t take = (size_t)std::min<uint64_t>(left_, n);
        meta_.append(p, take);
        p += take;
        n -= take;
        left_ -= take;
        if (left_ == 0) {
          if (!OnMeta(err)) return false;
          AfterBody();
        }
        break;
      }
      case St::kSkip: {
        size_t take = (size_t)std::min<uint64_t>(left_, n);
        p += take;
        n -= take;
        left_ -= take;
        if (left_ == 0) AfterBody();
        break;
      }
      case St::kPad: {
        size_t take = std::min(pad_, n);
        p += take;
        n -= take;
        pad_ -= take;
        if (pad_ == 0) st_ = St::kHeader;
        break;
      }
    }
  }
  return true;
}

bool TarReader::Finish(LayerErr *err) {
  if ((st_ == St::kHeader && fill_ == 0) || st_ == St::kEof || st_ == St::kPad) return true;
  if (st_ == St::kHeader) return Refuse(err, "INVALID_TAR", "unexpected end of tar data in a header", current_);
  return Refuse(err, "INVALID_TAR", "unexpected end of tar data", current_);
}

bool TarReader::OnHeader(TarSink *sink, LayerErr *err) {
  const char *h = hdr_;
  bool zero = true;
  for (size_t i = 0; i < kBlock && zero; i++) zero = h[i] == 0;
  if (zero) {
    // Two zero blocks end the archive (as Go's archive/tar); a lone one is tolerated (as tar-stream).
    if (++zeros_ >= 2) st_ = St::kEof;
    return true;
  }
  zeros_ = 0;
  uint64_t sum;
  if (!ParseNumber(h + 148, 8, &sum))
    return Refuse(err, "INVALID_TAR", "invalid tar header: bad checksum field", current_);
  uint64_t usum = 0;
  int64_t ssum = 0;
  for (size_t i = 0; i < kBlock; i++) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
    usum += c;
    ssum += (signed char)c;
  }
  if (sum != usum && (int64_t)sum != ssum)
    return Refuse(err, "INVALID_TAR", "invalid tar header: checksum mismatch (corrupt, or still compressed?)", current_);

  uint64_t size;
  if (!ParseNumber(h + 124, 12, &size)) return Refuse(err, "INVALID_TAR", "invalid tar header: bad size", current_);
  char type = h[156];
  left_ = size;
  pad_ = (size_t)((kBlock - size % kBlock) % kBlock);

  if (type == 'x' || type == 'L' || type == 'K') {
    if (size > kMaxMeta) return Refuse(err, "INVALID_TAR", "tar metadata header too large", current_);
    metaType_ = type;
    meta_.clear();
    st_ = St::kMeta;
    if (left_ == 0) {
      if (!OnMeta(err)) return false;
      AfterBody();
    }
    return true;
  }
  if (type == 'g') {  // PAX global header: ignored, as Docker does
    st_ = St::kSkip;
    if (left_ == 0) AfterBody();
    return true;
  }

  Entry e;
  bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
  if (hasLongName_) {
    e.name = longName_;
  } else {
    e.name = Field(h, 100);
    if (ustar && h[345]) e.name = Field(h + 345, 155) + "/" + e.name;
  }
  e.linkname = hasLongLink_ ? longLink_ : Field(h + 157, 100);
  uint64_t v;
  if (!ParseNumber(h + 100, 8, &v)) return Refuse(err, "INVALID_TAR", "invalid tar header: bad mode", e.name);
  e.mode = (uint32_t)(v & 07777);
  if (!ParseNumber(h + 108, 8, &v)) return Refuse(err, "INVALID_TAR", "invalid tar header: bad uid", e.name);
  e.uid = (int64_t)v;
  if (!ParseNumber(h + 116, 8, &v)) return Refuse(err, "INVALID_TAR", "invalid tar header: bad gid", e.name);
  e.gid = (int64_t)v;
  if (!ParseNumber(h + 136, 12, &v)) return Refuse(err, "INVALID_TAR", "invalid tar header: bad mtime", e.name);
  e.mtime.tv_sec = (time_t)v;
  e.size = size;
  if (type == '3' || type == '4') {
    uint64_t maj, min;
    if (!ParseNumber(h + 329, 8, &maj) || !ParseNumber(h + 337, 8, &min) || maj > 0xfff || min > 0xfffff)
      return Refuse(err, "INVALID_TAR", "invalid tar header: bad device number", e.name);
    e.devmajor = (uint32_t)maj;
    e.devminor = (uint32_t)min;
  }
  for (auto &kv : pax_) {
    const std::string &k = kv.first;
    int64_t n;
    if (k == "path") {
      e.name = kv.second;
    } else if (k == "linkpath") {
      e.linkname = kv.second;
    } else if (k == "size") {
      if (!ParseDecimal(kv.second, &n)) return Refuse(err, "INVALID_TAR", "invalid PAX size", e.name);
      e.size = (uint64_t)n;
    } else if (k == "uid" || k == "gid") {
      if (!ParseDecimal(kv.second, &n)) return Refuse(err, "INVALID_TAR", "invalid PAX " + k, e.name);
      (k == "uid" ? e.uid : e.gid) = n;
    } else if (k == "mtime") {
      if (!ParsePaxTime(kv.second, &e.mtime)) return Refuse(err, "INVALID_TAR", "invalid PAX mtime", e.name);
    } else if (StartsWith(k, kXattrPrefix)) {
      e.xattrs.emplace_back(k.substr(strlen(kXattrPrefix)), kv.second);
    }
  }
  pax_.clear();
  hasLongName_ = hasLongLink_ = false;
  longName_.clear();
  longLink_.clear();

  // Old (v7) tars mark directories by a trailing slash only.
  if ((type == '0' || type == '\0') && !e.name.empty() && e.name.back() == '/') type = '5';
  if (type == '\0') type = '0';
  e.type = type;
  left_ = e.size;
  pad_ = (size_t)((kBlock - e.size % kBlock) % kBlock);
  current_ = e.name;

  if (!sink->Begin(e, err)) return false;
  if (type == '0' || type == '7') {
    st_ = St::kData;
    if (left_ == 0) {
      if (!sink->End(err)) return false;
      AfterBody();
    }
    return true;
  }
  if (!sink->End(err)) return false;
  // Header-only types carry no body whatever their size field says (as Go's archive/tar reads them);
  // the body of an unknown type is skipped.
  if (strchr("123456", type)) left_ = pad_ = 0;
  st_ = St::kSkip;
  if (left_ == 0) AfterBody();
  return true;
}

bool TarReader::OnMeta(LayerErr *err) {
  if (metaType_ == 'L' || metaType_ == 'K') {
    std::string v(meta_.c_str(), strnlen(meta_.data(), meta_.size()));
    if (metaType_ == 'L') {
      longName_ = v;
      hasLongName_ = true;
    } else {
      longLink_ = v;
      hasLongLink_ = true;
    }
    return true;
  }
  // PAX records: "<len> <key>=<value>\n", len counting the whole record.
  size_t pos = 0;
  while (pos < meta_.size()) {
    if (meta_[pos] == '\0') break;  // some writers pad with NULs
    size_t sp = meta_.find(' ', pos);
    int64_t len;
    if (sp == std::string::npos || !ParseDecimal(meta_.substr(pos, sp - pos), &len) || len <= 0 ||
        pos + (size_t)len > meta_.size() || meta_[pos + len - 1] != '\n')
      return Refuse(err, "INVALID_TAR", "invalid PAX header", current_);
    std::string rec = meta_.substr(sp + 1, pos + len - 1 - (sp + 1));
    size_t eq = rec.find('=');
    if (eq == std::string::npos) return Refuse(err, "INVALID_TAR", "invalid PAX record", current_);
    pax_[rec.substr(0, eq)] = rec.substr(eq + 1);
    pos += (size_t)len;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Path hygiene (src/layers/paths.ts cleanEntryName): components without "", "." and "..".

bool CleanName(const std::string &name, const char *what, std::vector<std::string> *comps, LayerErr *err) {
  comps->clear();
  if (name.find('\0') != std::string::npos)
    return Refuse(err, "UNSAFE_ENTRY", std::string("refusing ") + what + " with a NUL byte", name);
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    std::string c = name.substr(start, slash - start);
    if (c == "..") return Refuse(err, "UNSAFE_ENTRY", std::string("refusing ") + what + " with a \"..\" component", name);
    if (!c.empty() && c != ".") comps->push_back(std::move(c));
    start = slash + 1;
  }
  return true;
}

std::string Join(const std::vector<std::string> &comps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (i) s += '/';
    s += comps[i];
  }
  return s;
}

// Removes name under dirfd, recursively when it is a directory; a missing name is fine.
bool RemoveTree(int dirfd, const char *name, const std::string &entry, LayerErr *err);

bool RemoveChildren(int fd, const std::string &entry, LayerErr *err) {
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Sys(err, errno, "dup", entry);
  DIR *d = fdopendir(dup);
  if (!d) {
    int e = errno;
    close(dup);
    return Sys(err, e, "fdopendir", entry);
  }
  std::vector<std::pair<std::string, bool>> names;
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names.emplace_back(de->d_name, de->d_type == DT_DIR || de->d_type == DT_UNKNOWN);
  }
  closedir(d);
  for (auto &n : names) {
    if (n.second) {
      if (!RemoveTree(fd, n.first.c_str(), entry, err)) return false;
    } else if (unlinkat(fd, n.first.c_str(), 0) < 0 && errno != ENOENT) {
      return Sys(err, errno, "unlink " + n.first, entry);
    }
  }
  return true;
}

bool RemoveTree(int dirfd, const char *name, const std::string &entry, LayerErr *err) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;
    return Sys(err, errno, std::string("lstat ") + name, entry);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) return Sys(err, errno, std::string("unlink ") + name, entry);
    return true;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Sys(err, errno, std::string("open ") + name, entry);
  bool ok = RemoveChildren(fd, entry, err);
  close(fd);
  if (!ok) return false;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) return Sys(err, errno, std::string("rmdir ") + name, entry);
  return true;
}

// ---------------------------------------------------------------------------------------------------
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
  explicit TopDirs(const std::string &dir) {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
      if (!(flags & FS_TOPDIR_FL)) {
        flags |= FS_TOPDIR_FL;
        spread_ = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
      } else {
        spread_ = true;
      }
    }
    close(fd);
    if (getrandom(&next_, sizeof next_, GRND_NONBLOCK) != (ssize_t)sizeof next_) next_ = ((uint64_t)getpid() << 32) ^ (uint64_t)time(nullptr);
  }

  // mkdirat(root, name, mode), as mkdirat reports it (EEXIST included).
  int Mkdir(int root, const char *name, mode_t mode) {
    if (!spread_) return mkdirat(root, name, mode);
    char tmp[40];
    snprintf(tmp, sizeof tmp, ".berth-mkdir-%016llx", (unsigned long long)next_++);
    if (mkdirat(root, tmp, mode) < 0) return mkdirat(root, name, mode);
    if (renameat2(root, tmp, root, name, RENAME_NOREPLACE) == 0) return 0;
    int e = errno;
    unlinkat(root, tmp, AT_REMOVEDIR);
    if (e != EEXIST) return mkdirat(root, name, mode);  // no RENAME_NOREPLACE here: as without spreading
    errno = e;
    return -1;
  }

 private:
  bool spread_ = false;
  uint64_t next_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// The directory chain: O_PATH fds of the directories along the last parent used, so consecutive
// entries in one directory cost no lookups. Any removal of a directory truncates it.

// In a container (docker cp), a symlink of the container on the way is followed as dockerd follows it
// in its chroot: resolved inside the container's root (in_root.h), never on the host.
struct InContainer {
  int root = -1;           // fd of the container's root
  std::string destInner;  // container path of the chain's root
};

class DirChain {
 public:
  enum Mode { kCreate, kExisting };
  DirChain(int root, TopDirs *top, const InContainer *in = nullptr) : root_(root), top_(top), in_(in) {}
  ~DirChain() { Truncate(0); }
  DirChain(const DirChain &) = delete;
  DirChain &operator=(const DirChain &) = delete;

  // fd of the directory comps[0..n) (the root when n is 0), or -1: *missing when a component is absent
  // in kExisting mode (no error), else *err.
  int Walk(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err);
  void Truncate(size_t depth) {
    while (fds_.size() > depth) {
      close(fds_.back());
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
  std::vector<int> fds_;
};

int DirChain::Walk(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err) {
  *missing = false;
  size_t m = 0;
  while (m < n && m < names_.size() && names_[m] == comps[m]) m++;
  Truncate(m);
  for (size_t i = m; i < n; i++) {
    int parent = i ? fds_[i - 1] : root_;
    const char *c = comps[i].c_str();
    int fd = openat(parent, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && mode == kCreate) {
      int made = i == 0 && top_ ? top_->Mkdir(parent, c, 0755) : mkdirat(parent, c, 0755);
      if (made < 0 && errno != EEXIST) {
        Sys(err, errno, "mkdir " + Join(comps, i + 1), entry);
        return -1;
      }
      fd = openat(parent, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      if (e == ENOENT && mode == kExisting) {
        *missing = true;
        return -1;
      }
      struct stat st;
      if ((e == ENOTDIR || e == ELOOP) && fstatat(parent, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        std::string rel = Join(comps, i + 1);
        if (in_ && S_ISLNK(st.st_mode)) {
          fd = Follow(comps, i + 1, mode, entry, missing, err);
          if (fd < 0) return -1;
          names_.push_back(comps[i]);
          fds_.push_back(fd);
          continue;
        }
        if (mode == kExisting) Refuse(err, "UNSAFE_ENTRY", "path goes through non-directory " + rel, entry);
        else if (S_ISLNK(st.st_mode)) Refuse(err, "UNSAFE_ENTRY", "refusing to write below symlink " + rel, entry);
        else Refuse(err, "UNSAFE_ENTRY", "parent " + rel + " is not a directory", entry);
        return -1;
      }
      Sys(err, e, "open " + Join(comps, i + 1), entry);
      return -1;
    }
    names_.push_back(comps[i]);
    fds_.push_back(fd);
  }
  return n ? fds_[n - 1] : root_;
}

int DirChain::Follow(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err) {
  std::string rel = Join(comps, n);
  std::string inner;
  int fd;
  int e = ResolveInRoot(in_->root, in_->destInner + "/" + rel, true, &inner, &fd, missing);
  if (e) {
    Sys(err, e, "resolve " + rel, entry);
    return -1;
  }
  if (*missing) {
    if (mode == kExisting) return -1;
    *missing = false;
    Refuse(err, "UNSAFE_ENTRY", "the symlink " + rel + " leads nowhere (" + inner + " does not exist)", entry);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
    close(fd);
    if (mode == kExisting) Refuse(err, "UNSAFE_ENTRY", "path goes through non-directory " + rel, entry);
    else Refuse(err, "UNSAFE_ENTRY", "parent " + rel + " is not a directory", entry);
    return -1;
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------------
// Disk usage as Docker's DiffSize (src/util/du.ts): sizes of non-directories, each inode once.

struct Usage {
  uint64_t size = 0;
  uint64_t inodes = 0;
};

bool DiskUsageAt(int fd, std::unordered_set<uint64_t> *seen, Usage *u, LayerErr *err) {
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Sys(err, errno, "dup");
  DIR *d = fdopendir(dup);
  if (!d) {
    int e = errno;
    close(dup);
    return Sys(err, e, "fdopendir");
  }
  std::vector<std::string> dirs;
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    struct stat st;
    if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      int e = errno;
      closedir(d);
      return Sys(err, e, std::string("lstat ") + de->d_name);
    }
    if (!seen->insert((uint64_t)st.st_ino).second) continue;
    u->inodes++;
    if (S_ISDIR(st.st_mode)) dirs.emplace_back(de->d_name);
    else u->size += (uint64_t)st.st_size;
  }
  closedir(d);
  for (auto &name : dirs) {
    int sub = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      if (errno == ENOENT) continue;
      return Sys(err, errno, "open " + name);
    }
    bool ok = DiskUsageAt(sub, seen, u, err);
    close(sub);
    if (!ok) return false;
  }
  return true;
}

bool DiskUsage(const std::string &path, Usage *u, LayerErr *err) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Sys(err, errno, "open " + path);
  std::unordered_set<uint64_t> seen;
  bool ok = DiskUsageAt(fd, &seen, u, err);
  close(fd);
  return ok;
}

// ---------------------------------------------------------------------------------------------------
// The applier. Two modes: a layer into a snapshot directory (whiteouts become overlay whiteouts, no
// symlink is ever followed) and docker cp into a container's directory (names are taken literally,
// symlinks of the container on the way are followed inside its root, the destination's own metadata is
// left alone, and the container may change the tree meanwhile: every call is relative to an fd).

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
  ~Applier() override { CloseFd(&file_); }

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
  int file_ = -1;
  std::string fileRel_;
  std::unordered_set<std::string> extracted_;  // non-directories from this tar: the only hardlink targets
  std::unordered_set<std::string> unpacked_;   // plain: every path this tar made
  std::map<std::string, struct timespec> dirs_;
};

bool Applier::Remove(int pfd, size_t depth, const std::string &base, const std::string &entry, LayerErr *err) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;
    return Sys(err, errno, "lstat " + base, entry);
  }
  if (S_ISDIR(st.st_mode)) {
    dst_.Truncate(depth);  // keeps pfd itself, drops anything below it
    src_.Truncate(0);
    return RemoveTree(pfd, base.c_str(), entry, err);
  }
  if (unlinkat(pfd, base.c_str(), 0) < 0 && errno != ENOENT) return Sys(err, errno, "unlink " + base, entry);
  return true;
}

bool Applier::SetXattrs(int fd, int pfd, const std::string &base, LayerErr *err) {
  for (auto &x : cur_.xattrs) {
    int r = fd >= 0 ? fsetxattr(fd, x.first.c_str(), x.second.data(), x.second.size(), 0)
                    : lsetxattr(ProcPath(pfd, base).c_str(), x.first.c_str(), x.second.data(), x.second.size(), 0);
    // user.* xattrs are not allowed on symlinks, and some filesystems lack xattrs: not fatal, as in Docker.
    if (r < 0 && errno != EOPNOTSUPP && errno != EPERM) return Sys(err, errno, "lsetxattr " + x.first, cur_.name);
  }
  return true;
}

// dockerd's NoOverwriteDirNonDir (docker cp without --overwrite... i.e. the API's noOverwriteDirNonDir).
bool Applier::NoOverwrite(int pfd, const std::string &base, const std::string &rel, LayerErr *err) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return true;
  bool isDir = cur_.type == '5';
  if (S_ISDIR(st.st_mode) == isDir) return true;
  std::string inner = copy_->in.destInner == "/" ? "/" + rel : copy_->in.destInner + "/" + rel;
  return Refuse(err, "OVERWRITE",
                std::string("cannot overwrite ") + (isDir ? "non-directory " : "directory ") + JsonQuote(inner) + " with " +
                    (isDir ? "directory " : "non-directory ") + JsonQuote(cur_.name),
                cur_.name);
}

bool Applier::Begin(Entry &e, LayerErr *err) {
  cur_ = std::move(e);
  if (names) names->push_back(cur_.name);
  const std::string &entry = cur_.name;
  if (!CleanName(entry, "path", &comps_, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};

  if (comps_.empty()) {
    if (copy_) return true;  // "./": the destination itself, which exists; its metadata is left alone
    if (cur_.type != '5') return Refuse(err, "UNSAFE_ENTRY", "the layer root must be a directory", entry);
    if (sameOwner_ && lchown(rootPath_.c_str(), (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) return Sys(err, errno, "lchown /", entry);
    if (chmod(rootPath_.c_str(), cur_.mode) < 0) return Sys(err, errno, "chmod /", entry);
    dirs_[""] = ts[0];
    return true;
  }
  for (auto &x : cur_.xattrs)
    if (StartsWith(x.first, "trusted.overlay."))
      return Refuse(err, "UNSAFE_ENTRY", "refusing overlay xattr " + x.first + " in a layer", entry);

  size_t depth = comps_.size() - 1;
  bool missing;
  int pfd = dst_.Walk(comps_, depth, DirChain::kCreate, entry, &missing, err);
  if (pfd < 0) return false;
  const std::string base = comps_.back();
  std::string rel = Join(comps_, comps_.size());

  if (!copy_ && StartsWith(base, kWhiteoutPrefix)) return Whiteout(pfd, depth, base, err);
  if (plain) unpacked_.insert(rel);
  if (copy_ && copy_->noOverwriteDirNonDir && !NoOverwrite(pfd, base, rel, err)) return false;
  switch (cur_.type) {
    case '5': return Directory(pfd, depth, base, rel, err);
    case '0':
    case '7':
      fileRel_ = rel;
      return File(pfd, depth, base, err);
    case '2': return Symlink(pfd, depth, base, rel, err);
    case '1': return Hardlink(pfd, depth, base, rel, err);
    case '3':
    case '4':
    case '6': return Special(pfd, depth, base, rel, err);
    default: {
      std::string t = cur_.type >= 0x20 && cur_.type < 0x7f ? std::string(1, cur_.type) : std::to_string((unsigned char)cur_.type);
      return Refuse(err, "UNSUPPORTED_ENTRY", "unsupported tar entry type " + t, entry);
    }
  }
}

bool Applier::Whiteout(int pfd, size_t depth, const std::string &base, LayerErr *err) {
  const std::string &entry = cur_.name;
  if (plain && base == kWhiteoutOpaque) {
    std::vector<std::string> dirComps(comps_.begin(), comps_.end() - 1);
    std::vector<std::string> victims;
    int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd < 0 ? nullptr : fdopendir(dfd);
    if (!d) {
      if (dfd >= 0) close(dfd);
      return Sys(err, errno, "opendir", entry);
    }
    while (struct dirent *de = readdir(d)) {
      std::string n = de->d_name;
      if (n == "." || n == "..") continue;
      dirComps.push_back(n);
      if (!unpacked_.count(Join(dirComps, dirComps.size()))) victims.push_back(n);
      dirComps.pop_back();
    }
    closedir(d);
    for (auto &v : victims)
      if (!Remove(pfd, depth, v, entry, err)) return false;
    return true;
  }
  if (base == kWhiteoutOpaque) {
    if (setxattr(ProcPath(pfd, "").c_str(), "trusted.overlay.opaque", "y", 1, 0) < 0)
      return Sys(err, errno, "setxattr trusted.overlay.opaque", entry);
    return true;
  }
  if (StartsWith(base, kWhiteoutMetaPrefix)) return true;  // aufs bookkeeping (.wh..wh.plnk …): nothing to apply
  std::string victim = base.substr(strlen(kWhiteoutPrefix));
  if (victim.empty() || victim == "." || victim == "..") return Refuse(err, "UNSAFE_ENTRY", "invalid whiteout name", entry);
  if (!Remove(pfd, depth, victim, entry, err)) return false;
  if (plain) return true;
  if (mknodat(pfd, victim.c_str(), S_IFCHR, makedev(0, 0)) < 0) return Sys(err, errno, "mknod " + victim, entry);
  if (sameOwner_ && fchownat(pfd, victim.c_str(), (uid_t)cur_.uid, (gid_t)cur_.gid, AT_SYMLINK_NOFOLLOW) < 0)
    return Sys(err, errno, "lchown " + victim, entry);
  return true;
}

bool Applier::Directory(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  if ((depth == 0 && top_ ? top_->Mkdir(pfd, b, 0700) : mkdirat(pfd, b, 0700)) < 0) {
    if (errno != EEXIST) return Sys(err, errno, "mkdir " + rel, entry);
    struct stat st;
    if (fstatat(pfd, b, &st, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "lstat " + rel, entry);
    if (!S_ISDIR(st.st_mode)) {
      if (!Remove(pfd, depth, base, entry, err)) return false;
      if (mkdirat(pfd, b, 0700) < 0) return Sys(err, errno, "mkdir " + rel, entry);
    }
  }
  // Owner, xattrs and mode through an fd of the directory itself: never through a name that something
  // else (a container, in docker cp) could have swapped for a symlink meanwhile.
  Fd fd(openat(pfd, b, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) {
    if (errno == ELOOP || errno == ENOTDIR) return Refuse(err, "UNSAFE_ENTRY", rel + " was replaced by a non-directory while extracting", entry);
    return Sys(err, errno, "open " + rel, entry);
  }
  if (sameOwner_ && fchown(fd.get(), (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) return Sys(err, errno, "lchown " + rel, entry);
  if (!SetXattrs(fd.get(), -1, std::string(), err)) return false;
  if (fchmod(fd.get(), cur_.mode) < 0) return Sys(err, errno, "chmod " + rel, entry);
  dirs_[rel] = cur_.mtime;
  return true;
}

bool Applier::File(int pfd, size_t depth, const std::string &base, LayerErr *err) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = openat(pfd, base.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    if (!Remove(pfd, depth, base, cur_.name, err)) return false;
    fd = openat(pfd, base.c_str(), flags, 0600);
  }
  if (fd < 0) return Sys(err, errno, "open " + fileRel_, cur_.name);
  file_ = fd;
  return true;
}

bool Applier::Data(const char *p, size_t n, LayerErr *err) {
  if (file_ < 0) return true;  // docker cp: the body of an entry naming the destination itself
  while (n > 0) {
    ssize_t w = write(file_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Sys(err, errno, "write " + fileRel_, cur_.name);
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

bool Applier::End(LayerErr *err) {
  if (file_ < 0) return true;
  int fd = file_;
  file_ = -1;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  bool ok = true;
  // chown before chmod: chown clears setuid/setgid bits.
  if (sameOwner_ && fchown(fd, (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) ok = Sys(err, errno, "chown " + fileRel_, cur_.name);
  if (ok) ok = SetXattrs(fd, -1, std::string(), err);
  if (ok && fchmod(fd, cur_.mode) < 0) ok = Sys(err, errno, "chmod " + fileRel_, cur_.name);
  if (ok && futimens(fd, ts) < 0) ok = Sys(err, errno, "utimens " + fileRel_, cur_.name);
  if (close(fd) < 0 && ok && errno != EINTR) ok = Sys(err, errno, "close " + fileRel_, cur_.name);
  if (ok) extracted_.insert(fileRel_);
  return ok;
}

bool Applier::Symlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  if (symlinkat(cur_.linkname.c_str(), pfd, b) < 0) {
    if (errno != EEXIST) return Sys(err, errno, "symlink " + rel, entry);
    if (!Remove(pfd, depth, base, entry, err)) return false;
    if (symlinkat(cur_.linkname.c_str(), pfd, b) < 0) return Sys(err, errno, "symlink " + rel, entry);
  }
  if (sameOwner_ && fchownat(pfd, b, (uid_t)cur_.uid, (gid_t)cur_.gid, AT_SYMLINK_NOFOLLOW) < 0)
    return Sys(err, errno, "lchown " + rel, entry);
  if (!SetXattrs(-1, pfd, base, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  if (utimensat(pfd, b, ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "lutimes " + rel, entry);
  extracted_.insert(rel);
  return true;
}

// Device nodes and fifos are kept, as dockerd (as root) keeps them: whether a container may open a
// device is the devices cgroup's decision, not the image's.
bool Applier::Special(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  mode_t type = cur_.type == '3' ? S_IFCHR : cur_.type == '4' ? S_IFBLK : S_IFIFO;
  dev_t dev = cur_.type == '6' ? 0 : makedev(cur_.devmajor, cur_.devminor);
  if (!Remove(pfd, depth, base, entry, err)) return false;
  if (mknodat(pfd, b, type | 0600, dev) < 0) return Sys(err, errno, "mknod " + rel, entry);
  // The mode through an O_PATH fd of the node itself (mknod's is cut by the umask; chmod by name follows).
  Fd fd(openat(pfd, b, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) return Sys(err, errno, "open " + rel, entry);
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return Sys(err, errno, "stat " + rel, entry);
  if ((st.st_mode & S_IFMT) != type) return Refuse(err, "UNSAFE_ENTRY", rel + " was replaced while extracting", entry);
  std::string self = ProcPath(fd.get(), "");
  if (sameOwner_ && fchownat(fd.get(), "", (uid_t)cur_.uid, (gid_t)cur_.gid, AT_EMPTY_PATH) < 0) return Sys(err, errno, "lchown " + rel, entry);
  if (chmod(self.c_str(), cur_.mode) < 0) return Sys(err, errno, "chmod " + rel, entry);
  if (!SetXattrs(-1, pfd, base, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  if (utimensat(pfd, b, ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens " + rel, entry);
  extracted_.insert(rel);
  return true;
}

bool Applier::Hardlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  std::vector<std::string> lcomps;
  if (!CleanName(cur_.linkname, "hardlink target", &lcomps, err)) {
    err->entry = entry;  // the entry at fault is this one, not its target
    return false;
  }
  std::string lrel = Join(lcomps, lcomps.size());
  if (lcomps.empty() || !extracted_.count(lrel))
    return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " was not extracted earlier from this layer", entry);
  bool missing;
  int sfd = src_.Walk(lcomps, lcomps.size() - 1, DirChain::kExisting, entry, &missing, err);
  if (sfd < 0 && !missing) return false;
  struct stat st;
  if (sfd < 0 || fstatat(sfd, lcomps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
    return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " is missing or a directory", entry);
  if (lrel == rel) return true;
  if (!Remove(pfd, depth, base, entry, err)) return false;
  // Remove may have dropped cached fds: look the source up again.
  sfd = src_.Walk(lcomps, lcomps.size() - 1, DirChain::kExisting, entry, &missing, err);
  if (sfd < 0) return missing ? Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " is missing or a directory", entry) : false;
  // linkat without AT_SYMLINK_FOLLOW: links a symlink itself, never its target.
  if (linkat(sfd, lcomps.back().c_str(), pfd, base.c_str(), 0) < 0) return Sys(err, errno, "link " + rel, entry);
  extracted_.insert(rel);
  return true;
}

bool Applier::Finish(Usage *u, LayerErr *err) {
  CloseFd(&file_);
  std::vector<std::string> comps;
  for (auto &d : dirs_) {
    struct timespec ts[2] = {d.second, d.second};
    if (d.first.empty()) {
      if (utimensat(AT_FDCWD, rootPath_.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens /");
      continue;
    }
    LayerErr ignored;
    if (!CleanName(d.first, "path", &comps, &ignored) || comps.empty()) continue;
    bool missing;
    int pfd = dst_.Walk(comps, comps.size() - 1, DirChain::kExisting, d.first, &missing, &ignored);
    if (pfd < 0) continue;  // replaced later by a non-directory
    struct stat st;
    if (fstatat(pfd, comps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (utimensat(pfd, comps.back().c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens " + d.first);
  }
  dst_.Truncate(0);
  src_.Truncate(0);
  if (copy_) return true;  // a container's directory: nobody asked for its usage
  return DiskUsage(rootPath_, u, err);
}

// docker cp's first pass over the spooled tar, headers only, so that a hostile archive is refused with
// nothing written: names with "..", entries below a symlink of the same archive, symlinks whose
// relative target climbs above the container's root, hardlinks to anything but an earlier entry.
class CopyChecker : public TarSink {
 public:
  explicit CopyChecker(size_t destDepth) : destDepth_(destDepth) {}
  bool Begin(Entry &e, LayerErr *err) override {
    std::vector<std::string> comps;
    if (!CleanName(e.name, "path", &comps, err)) return false;
    std::string rel = Join(comps, comps.size());
    for (size_t n = 1; n < comps.size(); n++) {
      std::string p = Join(comps, n);
      if (links_.count(p)) return Refuse(err, "UNSAFE_ENTRY", "it lies below the symlink " + p + " from the same archive", e.name);
    }
    switch (e.type) {
      case '2': {
        if (!e.linkname.empty() && e.linkname[0] != '/') {
          long depth = (long)destDepth_ + (long)(comps.empty() ? 0 : comps.size() - 1);
          std::vector<std::string> t;
          size_t start = 0;
          while (start <= e.linkname.size()) {
            size_t slash = e.linkname.find('/', start);
            if (slash == std::string::npos) slash = e.linkname.size();
            std::string c = e.linkname.substr(start, slash - start);
            if (c == "..") {
              if (--depth < 0)
                return Refuse(err, "UNSAFE_ENTRY", "its symlink target " + JsonQuote(e.linkname) + " leaves the container's root", e.name);
            } else if (!c.empty() && c != ".") {
              depth++;
            }
            start = slash + 1;
          }
        }
        links_.insert(rel);
        break;
      }
      case '1': {
        std::vector<std::string> target;
        if (!CleanName(e.linkname, "hardlink target", &target, err)) {
          err->entry = e.name;
          return false;
        }
        if (!seen_.count(Join(target, target.size())))
          return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(e.linkname) + " is not an earlier entry of this archive", e.name);
        break;
      }
      case '0':
      case '7':
      case '5':
      case '3':
      case '4':
      case '6': break;
      default: {
        std::string t = e.type >= 0x20 && e.type < 0x7f ? std::string(1, e.type) : std::to_string((unsigned char)e.type);
        return Refuse(err, "UNSUPPORTED_ENTRY", "unsupported tar entry type " + t, e.name);
      }
    }
    seen_.insert(rel);
    return true;
  }
  bool Data(const char *, size_t, LayerErr *) override { return true; }
  bool End(LayerErr *) override { return true; }

 private:
  size_t destDepth_;
  std::unordered_set<std::string> links_, seen_;
};

// ---------------------------------------------------------------------------------------------------
// Tar writing.

void Octal(char *f, size_t width, uint64_t v) {
  // width-1 zero-padded digits and a NUL, as Go's archive/tar and GNU tar write them.
  f[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    f[i] = (char)('0' + (v & 7));
    v >>= 3;
  }
}

void PaxRecord(std::string *out, const std::string &key, const std::string &value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  *out += std::to_string(len) + " " + key + "=" + value + "\n";
}

struct Header {
  std::string name;  // entry name; directories end with '/'
  char type = '0';
  uint32_t mode = 0;
  uint64_t uid = 0, gid = 0, size = 0;
  int64_t mtime = 0;
  std::string linkname;
  uint32_t devmajor = 0, devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

const uint64_t kMaxOctal7 = 07777777, kMaxOctal11 = 077777777777ULL;

void UstarBlock(std::string *out, const std::string &name, const std::string &prefix, char type, uint32_t mode, uint64_t uid, uint64_t gid,
                uint64_t size, uint64_t mtime, const std::string &link, uint32_t devmajor = 0, uint32_t devminor = 0) {
  char b[kBlock];
  memset(b, 0, sizeof b);
  memcpy(b, name.data(), std::min<size_t>(name.size(), 100));
  Octal(b + 100, 8, mode);
  Octal(b + 108, 8, uid);
  Octal(b + 116, 8, gid);
  Octal(b + 124, 12, size);
  Octal(b + 136, 12, mtime);
  memset(b + 148, ' ', 8);
  b[156] = type;
  memcpy(b + 157, link.data(), std::min<size_t>(link.size(), 100));
  memcpy(b + 257, "ustar\0" "00", 8);
  Octal(b + 329, 8, devmajor);
  Octal(b + 337, 8, devminor);
  memcpy(b + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; i++) sum += (unsigned char)b[i];
  snprintf(b + 148, 8, "%06o", sum);  // "NNNNNN\0" then the space already there
  out->append(b, kBlock);
}

// Appends the header blocks of h: a PAX header first when the ustar fields cannot hold it all.
void WriteHeader(std::string *out, const Header &h) {
  std::string name = h.name, prefix, pax;
  if (h.name.size() > 100) {
    // ustar split: prefix "/" name, prefix ≤ 155, name ≤ 100.
    bool split = false;
    for (size_t i = std::min<size_t>(h.name.size() - 1, 155); i > 0 && !split; i--) {
      if (h.name[i] == '/' && h.name.size() - i - 1 <= 100 && h.name.size() - i - 1 > 0) {
        prefix = h.name.substr(0, i);
        name = h.name.substr(i + 1);
        split = true;
      }
    }
    if (!split) {
      PaxRecord(&pax, "path", h.name);
      name = h.name.substr(0, 100);
      prefix.clear();
    }
  }
  if (h.linkname.size() > 100) PaxRecord(&pax, "linkpath", h.linkname);
  if (h.uid > kMaxOctal7) PaxRecord(&pax, "uid", std::to_string(h.uid));
  if (h.gid > kMaxOctal7) PaxRecord(&pax, "gid", std::to_string(h.gid));
  if (h.size > kMaxOctal11) PaxRecord(&pax, "size", std::to_string(h.size));
  bool mtimeFits = h.mtime >= 0 && (uint64_t)h.mtime <= kMaxOctal11;
  if (!mtimeFits) PaxRecord(&pax, "mtime", std::to_string(h.mtime));
  for (auto &x : h.xattrs) PaxRecord(&pax, kXattrPrefix + x.first, x.second);
  if (!pax.empty()) {
    std::string base = h.name;
    while (!base.empty() && base.back() == '/') base.pop_back();
    size_t slash = base.rfind('/');
    std::string paxName = (slash == std::string::npos ? std::string() : base.substr(0, slash + 1)) + "PaxHeaders.0/" +
                          (slash == std::string::npos ? base : base.substr(slash + 1));
    UstarBlock(out, paxName.substr(0, 100), std::string(), 'x', 0644, 0, 0, pax.size(), mtimeFits ? (uint64_t)h.mtime : 0, std::string());
    out->append(pax);
    out->append((kBlock - pax.size() % kBlock) % kBlock, '\0');
  }
  UstarBlock(out, name, prefix, h.type, h.mode, h.uid > kMaxOctal7 ? 0 : h.uid, h.gid > kMaxOctal7 ? 0 : h.gid,
             h.size > kMaxOctal11 ? 0 : h.size, mtimeFits ? (uint64_t)h.mtime : 0, h.linkname.substr(0, 100), h.devmajor, h.devminor);
}

// xattrs of a file (fd >= 0) or of path (not followed), sorted by name, overlay's own left out.
bool ReadXattrs(int fd, const std::string &path, std::vector<std::pair<std::string, std::string>> *out, const std::string &rel, LayerErr *err) {
  out->clear();
  std::vector<char> names;
  for (int attempt = 0;; attempt++) {
    ssize_t n = fd >= 0 ? flistxattr(fd, nullptr, 0) : llistxattr(path.c_str(), nullptr, 0);
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOTSUP)) return true;
    if (n < 0) return Sys(err, errno, "listxattr " + rel, rel);
    if (n == 0) return true;
    names.resize((size_t)n);
    n = fd >= 0 ? flistxattr(fd, names.data(), names.size()) : llistxattr(path.c_str(), names.data(), names.size());
    if (n < 0 && errno == ERANGE && attempt < 4) continue;
    if (n < 0) return Sys(err, errno, "listxattr " + rel, rel);
    names.resize((size_t)n);
    break;
  }
  for (size_t i = 0; i < names.size();) {
    std::string name(names.data() + i);
    i += name.size() + 1;
    if (name.empty() || StartsWith(name, "trusted.overlay.") || StartsWith(name, "user.overlay.")) continue;
    std::vector<char> value;
    for (int attempt = 0;; attempt++) {
      ssize_t n = fd >= 0 ? fgetxattr(fd, name.c_str(), nullptr, 0) : lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0 && errno == ENODATA) break;
      if (n < 0) return Sys(err, errno, "getxattr " + name + " of " + rel, rel);
      value.resize((size_t)n);
      n = fd >= 0 ? fgetxattr(fd, name.c_str(), value.data(), value.size()) : lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (n < 0 && errno == ERANGE && attempt < 4) continue;
      if (n < 0 && errno == ENODATA) break;
      if (n < 0) return Sys(err, errno, "getxattr " + name + " of " + rel, rel);
      out->emplace_back(name, std::string(value.data(), (size_t)n));
      break;
    }
  }
  std::sort(out->begin(), out->end());
  return true;
}

bool ListDir(int fd, std::vector<std::string> *names, const std::string &rel, LayerErr *err) {
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Sys(err, errno, "dup", rel);
  DIR *d = fdopendir(dup);
  if (!d) {
    int e = errno;
    close(dup);
    return Sys(err, e, "opendir " + rel, rel);
  }
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names->emplace_back(de->d_name);
  }
  closedir(d);
  std::sort(names->begin(), names->end());  // std::string compares bytes as unsigned: byte order
  return true;
}

// Output of one read: straight into the caller's buffer; what does not fit waits in carry_.
class Differ {
 public:
  Differ() = default;
  ~Differ() {
    CloseFd(&file_);
    for (auto &f : stack_) close(f.fd);
  }
  bool Open(const std::string &dir, LayerErr *err);
  // docker cp (GET archive): the tar of path inside the container root, its entries named under name
  // (dockerd's RebaseNames); whiteouts are plain device nodes here, devices and fifos are kept, and
  // directories on a device of skipDevs (/proc, /sys, ... of a running container) are not entered.
  bool OpenCopy(const std::string &root, const std::string &path, bool followLast, const std::string &name,
                std::unordered_set<uint64_t> skipDevs, LayerErr *err);
  // Fills dst[0..cap) as far as it goes; *n = bytes written, 0 only at the end.
  bool Read(char *dst, size_t cap, size_t *n, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err);

 private:
  struct Frame {
    int fd;
    std::string rel;
    std::vector<std::string> names;
    size_t next = 0;
  };
  bool Next(int dirfd, const std::string &relDir, const std::string &name, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err,
            const std::string *relOverride = nullptr);
  void Emit(const std::string &bytes) {
    size_t room = cap_ - len_;
    size_t take = std::min(room, bytes.size());
    if (take) memcpy(dst_ + len_, bytes.data(), take);
    len_ += take;
    if (take < bytes.size()) carry_.append(bytes, take, std::string::npos);
  }

  std::vector<Frame> stack_;
  std::string carry_;
  char *dst_ = nullptr;
  size_t cap_ = 0, len_ = 0;
  int file_ = -1;
  uint64_t fileLeft_ = 0;  // body bytes still to send (zeros once the file came up short)
  size_t filePad_ = 0;
  std::string fileRel_;
  std::unordered_map<std::string, std::string> links_;  // "dev:ino" → first name
  bool ended_ = false;
  bool copy_ = false;
  std::unordered_set<uint64_t> skipDevs_;
  std::vector<std::pair<std::string, std::string>> pending_;  // skipped at OpenCopy (a socket): nothing to say
};

bool Differ::Open(const std::string &dir, LayerErr *err) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Sys(err, errno, "open " + dir);
  Frame f{fd, std::string(), {}, 0};
  stack_.push_back(std::move(f));
  return ListDir(fd, &stack_.back().names, dir, err);
}

bool Differ::OpenCopy(const std::string &root, const std::string &path, bool followLast, const std::string &name,
                      std::unordered_set<uint64_t> skipDevs, LayerErr *err) {
  copy_ = true;
  skipDevs_ = std::move(skipDevs);
  Fd rfd(OpenRoot(root));
  if (!rfd.ok()) return Sys(err, errno, "open " + root);
  std::string inner;
  int fd;
  bool missing;
  int e = ResolveInRoot(rfd.get(), path, followLast, &inner, &fd, &missing);
  if (e) return Sys(err, e, "resolve " + path, path);
  if (missing) return Refuse(err, "NOT_FOUND", "no such file " + path, path);
  Fd target(fd);
  struct stat st;
  if (fstat(target.get(), &st) < 0) return Sys(err, errno, "stat " + inner, path);
  if (!S_ISDIR(st.st_mode)) {
    // A file, symlink or node: one entry, read through an fd of its directory.
    size_t slash = inner.rfind('/');
    Fd parent(OpenInRoot(rfd.get(), inner.substr(0, slash ? slash : 1), O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS));
    if (!parent.ok()) return Sys(err, errno, "open the directory of " + inner, path);
    cap_ = len_ = 0;  // Emit keeps everything in carry_ until the first Read
    return Next(parent.get(), std::string(), inner.substr(slash + 1), &pending_, err, &name);
  }
  int dfd = OpenInRoot(rfd.get(), inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (dfd < 0) return Sys(err, errno, "open " + inner, path);
  Header h;
  h.name = name + "/";
  h.type = '5';
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  h.mtime = (int64_t)st.st_mtim.tv_sec;
  h.mode = st.st_mode & 07777;
  if (!ReadXattrs(dfd, std::string(), &h.xattrs, name, err)) {
    close(dfd);
    return false;
  }
  WriteHeader(&carry_, h);
  if (skipDevs_.count((uint64_t)st.st_dev)) {
    close(dfd);
    return true;
  }
  stack_.push_back(Frame{dfd, name, {}, 0});
  return ListDir(dfd, &stack_.back().names, name, err);
}

bool Differ::Next(int dirfd, const std::string &relDir, const std::string &name, std::vector<std::pair<std::string, std::string>> *skipped,
                  LayerErr *err, const std::string *relOverride) {
  struct stat st;
  std::string rel = relOverride ? *relOverride : relDir.empty() ? name : relDir + "/" + name;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;  // gone meanwhile
    return Sys(err, errno, "lstat " + name, rel);
  }
  Header h;
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  h.mtime = (int64_t)st.st_mtim.tv_sec;  // whole seconds: the output does not depend on sub-second noise
  h.mode = st.st_mode & 07777;
  std::string out;
  if (!copy_ && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
    h.name = (relDir.empty() ? std::string() : relDir + "/") + kWhiteoutPrefix + name;
    h.mode = 0;
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && copy_ && (errno == ELOOP || errno == ENOTDIR)) return true;  // swapped meanwhile: not followed
    if (fd < 0) return Sys(err, errno, "open " + rel, rel);
    h.name = rel + "/";
    h.type = '5';
    if (!ReadXattrs(fd, std::string(), &h.xattrs, rel, err)) {
      close(fd);
      return false;
    }
    WriteHeader(&out, h);
    if (copy_ && skipDevs_.count((uint64_t)st.st_dev)) {  // a pseudo filesystem's mount point: not its files
      close(fd);
      Emit(out);
      return true;
    }
    Frame f{fd, rel, {}, 0};
    stack_.push_back(std::move(f));  // owns fd from here on
    char v[2];
    if (!copy_ && fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y') {
      Header o;
      o.name = rel + "/" + kWhiteoutOpaque;
      o.mode = h.mode & 0777;
      o.uid = h.uid;
      o.gid = h.gid;
      o.mtime = h.mtime;
      WriteHeader(&out, o);
    }
    Emit(out);
    return ListDir(fd, &stack_.back().names, rel, err);
  }
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf((size_t)st.st_size + 1 > 256 ? (size_t)st.st_size + 1 : 256);
    for (;;) {
      ssize_t n = readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
      if (n < 0) return Sys(err, errno, "readlink " + rel, rel);
      if ((size_t)n < buf.size()) {
        h.linkname.assign(buf.data(), (size_t)n);
        break;
      }
      buf.resize(buf.size() * 2);
    }
    h.name = rel;
    h.type = '2';
    if (!ReadXattrs(-1, ProcPath(dirfd, name), &h.xattrs, rel, err)) return false;
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  if (S_ISREG(st.st_mode)) {
    h.name = rel;
    if (st.st_nlink > 1) {
      std::string key = std::to_string((uint64_t)st.st_dev) + ":" + std::to_string((uint64_t)st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        h.type = '1';
        h.linkname = it->second;
        WriteHeader(&out, h);
        Emit(out);
        return true;
      }
      links_.emplace(key, rel);
    }
    // O_NONBLOCK: if a fifo was swapped in meanwhile, the open must not wait for a writer.
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && copy_ && (errno == ELOOP || errno == ENOENT)) return true;  // swapped or gone meanwhile
    if (fd < 0) return Sys(err, errno, "open " + rel, rel);
    struct stat fst;
    if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode)) {  // swapped for a fifo or device meanwhile: never read one
      close(fd);
      return true;
    }
    st = fst;
    file_ = fd;
    fileRel_ = rel;
    if (!ReadXattrs(fd, std::string(), &h.xattrs, rel, err)) return false;
    h.size = (uint64_t)st.st_size;
    fileLeft_ = h.size;
    filePad_ = (size_t)((kBlock - h.size % kBlock) % kBlock);
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  if (copy_ && !S_ISSOCK(st.st_mode)) {
    h.name = rel;
    h.type = S_ISFIFO(st.st_mode) ? '6' : S_ISCHR(st.st_mode) ? '3' : '4';
    if (h.type != '6') {
      h.devmajor = major(st.st_rdev);
      h.devminor = minor(st.st_rdev);
    }
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  skipped->emplace_back(rel, S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "socket" : "device node");
  return true;
}

bool Differ::Read(char *dst, size_t cap, size_t *n, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err) {
  dst_ = dst;
  cap_ = cap;
  len_ = 0;
  if (!carry_.empty()) {
    std::string c;
    c.swap(carry_);
    Emit(c);
  }
  while (len_ < cap_ && carry_.empty()) {
    if (fileLeft_ > 0) {
      size_t want = (size_t)std::min<uint64_t>(fileLeft_, cap_ - len_);
      ssize_t got = 0;
      if (file_ >= 0) {
        got = read(file_, dst_ + len_, want);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Sys(err, errno, "read " + fileRel_, fileRel_);
      }
      if (got == 0) {  // the file shrank while we read it: pad to the size in its header
        CloseFd(&file_);
        memset(dst_ + len_, 0, want);
        got = (ssize_t)want;
      }
      len_ += (size_t)got;
      fileLeft_ -= (uint64_t)got;
      continue;
    }
    if (file_ >= 0 || filePad_ > 0) {
      CloseFd(&file_);
      Emit(std::string(filePad_, '\0'));
      filePad_ = 0;
      continue;
    }
    if (ended_) break;
    if (stack_.empty()) {
      Emit(std::string(2 * kBlock, '\0'));  // end of archive
      ended_ = true;
      continue;
    }
    Frame &f = stack_.back();
    if (f.next == f.names.size()) {
      close(f.fd);
      stack_.pop_back();
      continue;
    }
    std::string name = f.names[f.next++];
    int dirfd = f.fd;
    std::string relDir = f.rel;
    if (!Next(dirfd, relDir, name, skipped, err)) return false;
  }
  *n = len_;
  dst_ = nullptr;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// N-API: handles are Externals; each call that does file work is one AsyncWorker resolving a
// NativeResult, never rejecting.

struct ApplyState {
  int root = -1;
  std::unique_ptr<Applier> applier;
  TarReader reader;
  std::atomic<bool> busy{false};
  bool failed = false, finished = false;
  bool wantNames = false;
  ~ApplyState() {
    applier.reset();
    if (root >= 0) close(root);
  }
};

struct DiffState {
  std::unique_ptr<Differ> differ{new Differ()};
  std::atomic<bool> busy{false};
  bool failed = false;
};

template <typename State>
State *Handle(const Napi::Value &v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<State>>().Data();
}

// A promise already settled with a value.
Napi::Value Resolved(Napi::Env env, Napi::Value value) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(value);
  return d.Promise();
}

Napi::Value ResolvedErr(Napi::Env env, int err, const std::string &message) {
  LayerErr e;
  e.err = err;
  e.message = message;
  return Resolved(env, ErrValue(env, e));
}

class ApplyWorker : public Napi::AsyncWorker {
 public:
  ApplyWorker(Napi::Env env, ApplyState *st, Napi::Value handle, Napi::Value buffers, bool finish)
      : Napi::AsyncWorker(env, "berth:layerApply"), st_(st), finish_(finish), deferred_(Napi::Promise::Deferred::New(env)) {
    Napi::Object keep = Napi::Object::New(env);
    keep.Set("h", handle);
    if (!finish) {
      keep.Set("b", buffers);
      Napi::Array arr = buffers.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Buffer<char> b = arr.Get(i).As<Napi::Buffer<char>>();
        chunks_.emplace_back(b.Data(), b.Length());
      }
    }
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (st_->wantNames) st_->applier->names = &names_;
    bool ok = true;
    for (auto &c : chunks_) {
      if (!(ok = st_->reader.Feed(c.first, c.second, st_->applier.get(), &err_))) break;
    }
    if (ok && finish_) ok = st_->reader.Finish(&err_) && st_->applier->Finish(&usage_, &err_);
    st_->applier->names = nullptr;
    ok_ = ok;
  }

  void OnOK() override {
    Napi::Env env = Env();
    st_->busy = false;
    if (!ok_) {
      st_->failed = true;
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    if (finish_) {
      st_->finished = true;
      v.Set("size", (double)usage_.size);
      v.Set("inodes", (double)usage_.inodes);
    } else {
      Napi::Array names = Napi::Array::New(env, names_.size());
      for (size_t i = 0; i < names_.size(); i++) names.Set((uint32_t)i, names_[i]);
      v.Set("entries", names);
    }
    deferred_.Resolve(Ok(env, v));
  }

  // Only reached if Execute called SetError, which it never does; kept so the promise always settles.
  void OnError(const Napi::Error &e) override {
    st_->busy = false;
    st_->failed = true;
    LayerErr le;
    le.err = EIO;
    le.message = e.Message();
    deferred_.Resolve(ErrValue(Env(), le));
  }

 private:
  ApplyState *st_;
  bool finish_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  std::vector<std::pair<const char *, size_t>> chunks_;
  std::vector<std::string> names_;
  LayerErr err_;
  Usage usage_;
  bool ok_ = false;
};

Napi::Value LayerApplierOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string dest;
  if (!ArgString(info, 0, "destDir", &dest, &error)) return error;
  bool sameOwner = false, wantNames = false, plain = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    sameOwner = o.Get("sameOwner").ToBoolean().Value();
    wantNames = o.Get("entryNames").ToBoolean().Value();
    plain = o.Get("plain").ToBoolean().Value();
  }
  int fd = open(dest.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return SysErr(env, errno, "open " + dest);
  auto *st = new ApplyState();
  st->root = fd;
  st->applier.reset(new Applier(fd, dest, sameOwner));
  st->applier->plain = plain;
  st->wantNames = wantNames;
  return Ok(env, Napi::External<ApplyState>::New(env, st, [](Napi::Env, ApplyState *s) { delete s; }));
}

Napi::Value ApplierCall(const Napi::CallbackInfo &info, bool finish) {
  Napi::Env env = info.Env();
  ApplyState *st = info.Length() > 0 ? Handle<ApplyState>(info[0]) : nullptr;
  if (!st || !st->applier) return ResolvedErr(env, EINVAL, "not a layer applier handle");
  if (!finish) {
    if (info.Length() < 2 || !info[1].IsArray()) return ResolvedErr(env, EINVAL, "chunks must be an array of Buffers");
    Napi::Array arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++)
      if (!arr.Get(i).IsBuffer()) return ResolvedErr(env, EINVAL, "chunks must be an array of Buffers");
  }
  if (st->failed || st->finished) return ResolvedErr(env, EINVAL, "the layer applier is done");
  bool expected = false;
  if (!st->busy.compare_exchange_strong(expected, true)) return ResolvedErr(env, EBUSY, "the layer applier is busy");
  auto *w = new ApplyWorker(env, st, info[0], finish ? env.Undefined() : info[1], finish);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LayerApplierWrite(const Napi::CallbackInfo &info) { return ApplierCall(info, false); }
Napi::Value LayerApplierFinish(const Napi::CallbackInfo &info) { return ApplierCall(info, true); }

// Closes the fds at once (the External's finalizer would, later). Not while a call runs.
Napi::Value LayerApplierClose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ApplyState *st = info.Length() > 0 ? Handle<ApplyState>(info[0]) : nullptr;
  if (!st) return Err(env, EINVAL, "not a layer applier handle");
  if (st->busy) return Err(env, EBUSY, "the layer applier is busy");
  st->applier.reset();
  if (st->root >= 0) close(st->root);
  st->root = -1;
  return OkNull(env);
}

class DiffWorker : public Napi::AsyncWorker {
 public:
  DiffWorker(Napi::Env env, DiffState *st, Napi::Value handle, Napi::Buffer<char> buf)
      : Napi::AsyncWorker(env, "berth:layerDiff"), st_(st), deferred_(Napi::Promise::Deferred::New(env)), dst_(buf.Data()), cap_(buf.Length()) {
    Napi::Object keep = Napi::Object::New(env);
    keep.Set("h", handle);
    keep.Set("b", buf);
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = st_->differ->Read(dst_, cap_, &n_, &skipped_, &err_); }
  void OnOK() override {
    Napi::Env env = Env();
    st_->busy = false;
    if (!ok_) {
      st_->failed = true;
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("bytes", (double)n_);
    Napi::Array skipped = Napi::Array::New(env, skipped_.size());
    for (size_t i = 0; i < skipped_.size(); i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, skipped_[i].first);
      pair.Set(1u, skipped_[i].second);
      skipped.Set((uint32_t)i, pair);
    }
    v.Set("skipped", skipped);
    deferred_.Resolve(Ok(env, v));
  }
  void OnError(const Napi::Error &e) override {
    st_->busy = false;
    st_->failed = true;
    LayerErr le;
    le.err = EIO;
    le.message = e.Message();
    deferred_.Resolve(ErrValue(Env(), le));
  }

 private:
  DiffState *st_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  char *dst_;
  size_t cap_;
  size_t n_ = 0;
  std::vector<std::pair<std::string, std::string>> skipped_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value LayerDifferOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string dir;
  if (!ArgString(info, 0, "dir", &dir, &error)) return error;
  auto *st = new DiffState();
  LayerErr err;
  if (!st->differ->Open(dir, &err)) {
    delete st;
    return ErrValue(env, err);
  }
  return Ok(env, Napi::External<DiffState>::New(env, st, [](Napi::Env, DiffState *s) { delete s; }));
}

// containerTarOpen(root, path, {followLast, name, skipDevs}): a differ handle (read with
// layerDifferRead) producing docker cp's tar of path inside root.
Napi::Value ContainerTarOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, path;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "path", &path, &error)) return error;
  if (info.Length() < 3 || !info[2].IsObject()) return Err(env, EINVAL, "options must be an object");
  Napi::Object o = info[2].As<Napi::Object>();
  bool followLast = o.Get("followLast").ToBoolean().Value();
  if (!o.Get("name").IsString()) return Err(env, EINVAL, "name must be a string");
  std::string name = o.Get("name").As<Napi::String>().Utf8Value();
  std::unordered_set<uint64_t> skip;
  if (o.Get("skipDevs").IsArray()) {
    Napi::Array a = o.Get("skipDevs").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      if (a.Get(i).IsNumber()) skip.insert((uint64_t)a.Get(i).As<Napi::Number>().Int64Value());
  }
  auto *st = new DiffState();
  LayerErr err;
  if (!st->differ->OpenCopy(root, path, followLast, name, std::move(skip), &err)) {
    delete st;
    return ErrValue(env, err);
  }
  return Ok(env, Napi::External<DiffState>::New(env, st, [](Napi::Env, DiffState *s) { delete s; }));
}

// docker cp into a container: the spooled tar is checked whole (CopyChecker), then extracted under the
// destination, resolved inside the container's root. All on the pool.
class CopyWorker : public Napi::AsyncWorker {
 public:
  CopyWorker(Napi::Env env, std::string root, std::string dest, std::string spool, bool noOverwrite, int64_t fsuid = -1, int64_t fsgid = -1)
      : Napi::AsyncWorker(env, "berth:containerPut"),
        fsuid_(fsuid),
        fsgid_(fsgid),
        root_(std::move(root)),
        dest_(std::move(dest)),
        spool_(std::move(spool)),
        noOverwrite_(noOverwrite),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    ThreadFsIds ids(fsuid_, fsgid_);  // user namespace: write as the container's root (thread_ids.h)
    ok_ = Run();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("inner", inner_);
    deferred_.Resolve(Ok(env, v));
  }

 private:
  bool Feed(int fd, TarSink *sink) {
    if (lseek(fd, 0, SEEK_SET) < 0) return Sys(&err_, errno, "seek " + spool_);
    TarReader reader;
    std::vector<char> buf(1 << 20);
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Sys(&err_, errno, "read " + spool_);
      if (n == 0) break;
      if (!reader.Feed(buf.data(), (size_t)n, sink, &err_)) return false;
    }
    return reader.Finish(&err_);
  }

  bool Run() {
    Fd spool(open(spool_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!spool.ok()) return Sys(&err_, errno, "open " + spool_);
    Fd rfd(OpenRoot(root_));
    if (!rfd.ok()) return Sys(&err_, errno, "open " + root_);
    int dfd;
    bool missing;
    int e = ResolveInRoot(rfd.get(), dest_, true, &inner_, &dfd, &missing);
    if (e) return Sys(&err_, e, "resolve " + dest_);
    if (missing) return Refuse(&err_, "NOT_FOUND", "no such directory " + dest_, dest_);
    Fd dest(dfd);
    struct stat st;
    if (fstat(dest.get(), &st) < 0) return Sys(&err_, errno, "stat " + inner_);
    if (!S_ISDIR(st.st_mode)) return Refuse(&err_, "NOT_DIR", "extraction point is not a directory", dest_);
    size_t depth = 0;
    for (char c : inner_) depth += c == '/';
    if (inner_ == "/") depth = 0;
    CopyChecker checker(depth);
    if (!Feed(spool.get(), &checker)) {
      if (!err_.code.empty()) err_.message += "; nothing was written";
      return false;
    }
    CopyOptions copy;
    copy.in.root = rfd.get();
    copy.in.destInner = inner_;
    copy.noOverwriteDirNonDir = noOverwrite_;
    Applier applier(dest.get(), copy);
    Usage unused;
    return Feed(spool.get(), &applier) && applier.Finish(&unused, &err_);
  }

  int64_t fsuid_, fsgid_;
  std::string root_, dest_, spool_, inner_;
  bool noOverwrite_;
  Napi::Promise::Deferred deferred_;
  LayerErr err_;
  bool ok_ = false;
};

// containerPut(root, dest, spoolPath, {noOverwriteDirNonDir}) → {inner}: the resolved destination.
Napi::Value ContainerPut(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, dest, spool;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "dest", &dest, &error) || !ArgString(info, 2, "spool", &spool, &error))
    return Resolved(env, error);
  bool noOverwrite = info.Length() > 3 && info[3].IsObject() && info[3].As<Napi::Object>().Get("noOverwriteDirNonDir").ToBoolean().Value();
  int64_t fsuid = -1, fsgid = -1;  // {fsuid, fsgid}: the mapped root of a user namespace
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object o = info[3].As<Napi::Object>();
    if (o.Get("fsuid").IsNumber() && o.Get("fsgid").IsNumber()) {
      fsuid = o.Get("fsuid").As<Napi::Number>().Int64Value();
      fsgid = o.Get("fsgid").As<Napi::Number>().Int64Value();
    }
  }
  auto *w = new CopyWorker(env, root, dest, spool, noOverwrite, fsuid, fsgid);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// removeTree(path): rm -rf that never follows a symlink, even one swapped in while it runs (every
// step is relative to an fd opened O_NOFOLLOW). A missing path is fine.
class RemoveWorker : public Napi::AsyncWorker {
 public:
  RemoveWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:removeTree"), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = RemoveTree(AT_FDCWD, path_.c_str(), path_, &err_); }
  void OnOK() override { deferred_.Resolve(ok_ ? OkNull(Env()) : ErrValue(Env(), err_)); }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value RemoveTreeCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return Resolved(env, error);
  if (path.empty() || path[0] != '/') return ResolvedErr(env, EINVAL, "removeTree needs an absolute path");
  auto *w = new RemoveWorker(env, path);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LayerDifferRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  DiffState *st = info.Length() > 0 ? Handle<DiffState>(info[0]) : nullptr;
  if (!st || !st->differ) return ResolvedErr(env, EINVAL, "not a layer differ handle");
  if (info.Length() < 2 || !info[1].IsBuffer() || info[1].As<Napi::Buffer<char>>().Length() < kBlock)
    return ResolvedErr(env, EINVAL, "buffer must be a Buffer of at least 512 bytes");
  if (st->failed) return ResolvedErr(env, EINVAL, "the layer differ failed earlier");
  bool expected = false;
  if (!st->busy.compare_exchange_strong(expected, true)) return ResolvedErr(env, EBUSY, "the layer differ is busy");
  auto *w = new DiffWorker(env, st, info[0], info[1].As<Napi::Buffer<char>>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// Closes the walk's fds at once (the External's finalizer would, later). Not while a read runs.
Napi::Value LayerDifferClose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  DiffState *st = info.Length() > 0 ? Handle<DiffState>(info[0]) : nullptr;
  if (!st) return Err(env, EINVAL, "not a layer differ handle");
  if (st->busy) return Err(env, EBUSY, "the layer differ is busy");
  st->differ.reset();
  return OkNull(env);
}

class UsageWorker : public Napi::AsyncWorker {
 public:
  UsageWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:diskUsage"), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = DiskUsage(path_, &usage_, &err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("size", (double)usage_.size);
    v.Set("inodes", (double)usage_.inodes);
    deferred_.Resolve(Ok(env, v));
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  Usage usage_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value DiskUsageCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return Resolved(env, error);
  auto *w = new UsageWorker(env, path);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitLayerTar(Napi::Env env, Napi::Object exports) {
  exports.Set("layerApplierOpen", Napi::Function::New(env, LayerApplierOpen, "layerApplierOpen"));
  exports.Set("layerApplierWrite", Napi::Function::New(env, LayerApplierWrite, "layerApplierWrite"));
  exports.Set("layerApplierFinish", Napi::Function::New(env, LayerApplierFinish, "layerApplierFinish"));
  exports.Set("layerApplierClose", Napi::Function::New(env, LayerApplierClose, "layerApplierClose"));
  exports.Set("layerDifferOpen", Napi::Function::New(env, LayerDifferOpen, "layerDifferOpen"));
  exports.Set("layerDifferRead", Napi::Function::New(env, LayerDifferRead, "layerDifferRead"));
  exports.Set("layerDifferClose", Napi::Function::New(env, LayerDifferClose, "layerDifferClose"));
  exports.Set("diskUsage", Napi::Function::New(env, DiskUsageCall, "diskUsage"));
  exports.Set("containerTarOpen", Napi::Function::New(env, ContainerTarOpen, "containerTarOpen"));
  exports.Set("containerPut", Napi::Function::New(env, ContainerPut, "containerPut"));
  exports.Set("removeTree", Napi::Function::New(env, RemoveTreeCall, "removeTree"));
}

}  // namespace berth
