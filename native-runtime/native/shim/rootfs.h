#pragma once

#include "config.h"
#include "error.h"

// Builds the container's filesystem view inside the (new) mount namespace and pivots into it:
// overlay, /proc, /dev, /sys, the configured mounts, masked and read-only paths.
// premounted (user namespace; may be null): [0] the idmapped rootfs, [1 + i] mount i's idmapped bind, or -1.
bool rootfs_setup(const ShimConfig &c, const char *rootfs_dir, const int *premounted, Error *e);
