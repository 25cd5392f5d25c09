#pragma once

#include "config.h"
#include "error.h"

// Mounts an overlay at target with lowers relative to spec.cwd. It chdirs into spec.cwd so the
// option string stays within a page; callers run it in their own single-threaded process.
bool overlay_mount(const OverlaySpec &spec, const char *target, bool readonly, Error *e);
