#pragma once

#include "error.h"

// Installs Berth's default seccomp filter (a deny list in raw BPF, x86_64 only).
bool seccomp_install(Error *e);
