#pragma once

#include "config.h"
#include "error.h"

// Builds the container's filesystem view inside the (new) mount namespace and pivots into it:
// overlay, /proc, /dev, /sys, the configured mounts, masked and read-only paths.
bool rootfs_setup(const ShimConfig &c, const char *rootfs_dir, Error *e);
