#pragma once

#include <stdint.h>

#include "error.h"

// "CAP_CHOWN" (or "CHOWN") -> 0; -1 when unknown.
int capability_from_name(const char *name);

// Drops every capability outside `keep` from the bounding set. Needs CAP_SETPCAP, so call it as root.
bool capabilities_drop_bounding(uint64_t keep, Error *e);

// Sets effective = permitted = keep, inheritable = empty (as Docker >= 20.10, CVE-2022-24769), and
// clears the ambient set.
bool capabilities_apply(uint64_t keep, Error *e);
