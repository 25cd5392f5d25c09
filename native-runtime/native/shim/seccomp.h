#pragma once

#include <stdint.h>

#include "error.h"

// Installs Berth's default seccomp filter (a deny list in raw BPF, x86_64 only), opened the way Docker's
// default profile opens it for the capabilities in `caps` (a CAP_* bit mask).
bool seccomp_install(uint64_t caps, Error *e);

struct sock_filter;
struct JsonNode;

// A custom profile's program, compiled by the engine (src/containers/seccomp-profile.ts): config key
// "seccompFilter", a flat [code, jt, jf, k, ...] list. n == 0: none (the built-in filter applies).
struct SeccompFilter {
  sock_filter *insns;
  int n;
};

// Reads obj["seccompFilter"] when present: checked for shape and size here, by the kernel at install.
bool seccomp_parse_filter(const JsonNode *obj, SeccompFilter *out, Error *e);
bool seccomp_install_filter(const SeccompFilter &f, Error *e);
