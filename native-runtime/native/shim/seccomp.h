#pragma once

#include <stdint.h>

#include "error.h"

// Installs Berth's default seccomp filter (a deny list in raw BPF, x86_64 only), opened the way Docker's
// default profile opens it for the capabilities in `caps` (a CAP_* bit mask).
bool seccomp_install(uint64_t caps, Error *e);
