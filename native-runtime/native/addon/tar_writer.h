// Writing tars: the header blocks of one entry, in the form Go's archive/tar and GNU tar write them
// (ustar, with a PAX header first for what ustar cannot hold: long names and link targets, large ids,
// sizes and times, and xattrs as SCHILY.xattr.* records). The layer differ appends the bodies.
#pragma once

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "tar_format.h"

namespace berth {

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

// Appends the header blocks of h: a PAX header first when the ustar fields cannot hold it all.
void WriteHeader(std::string *out, const Header &h);

}  // namespace berth
