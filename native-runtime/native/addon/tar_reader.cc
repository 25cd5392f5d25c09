#include "tar_reader.h"

#include <string.h>

#include <algorithm>

namespace berth {

namespace {

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

}  // namespace

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

}  // namespace berth
