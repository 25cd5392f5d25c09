// Disk usage as Docker's DiffSize (src/util/du.ts): sizes of non-directories, each inode once. Used for
// a layer's size after it was applied, and by diskUsage() for a snapshot or a container's upper dir.
#pragma once

#include <stdint.h>

#include <string>

#include "layer_error.h"

namespace berth {

struct Usage {
  uint64_t size = 0;
  uint64_t inodes = 0;
};

bool DiskUsage(const std::string &path, Usage *u, LayerErr *err);

}  // namespace berth
