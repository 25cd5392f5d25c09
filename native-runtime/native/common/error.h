// Errors travel upward as values (as in crun), in all native code: a function that can fail returns
// false (or -1) and fills the Error it was given; nothing throws (both targets build -fno-exceptions).
// Plain C layout: the shim sends it through a pipe as it is. The addon turns one into a NativeResult at
// its N-API edge (result.h); its layer code carries a LayerErr of the same shape plus the refusal code
// and the entry (addon/layer_error.h).
#pragma once

struct Error {
  int err;            // errno value, 0 when not a system error
  char stage[32];     // which step failed: "config", "mount", "exec", ...
  char message[512];  // human-readable, already includes the failing path
};

// Fills e and returns false, so callers can write `return fail(e, ...)`.
bool fail(Error *e, const char *stage, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
