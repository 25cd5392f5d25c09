#include "tar_writer.h"

#include <stdio.h>
#include <string.h>

#include <algorithm>

namespace berth {

namespace {

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

}  // namespace

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

}  // namespace berth
