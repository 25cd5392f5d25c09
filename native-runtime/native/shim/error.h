// Errors travel upward as values (as in crun): a function that can fail returns false and fills an Error.
#pragma once

struct Error {
  int err;            // errno value, 0 when not a system error
  char stage[32];     // which step failed: "config", "mount", "exec", ...
  char message[512];  // human-readable, already includes the failing path
};

// Fills e and returns false, so callers can write `return fail(e, ...)`.
bool fail(Error *e, const char *stage, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
