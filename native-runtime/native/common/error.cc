#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool fail(Error *e, const char *stage, int err, const char *fmt, ...) {
  e->err = err;
  snprintf(e->stage, sizeof e->stage, "%s", stage);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  // Append strerror so the message stands alone when printed by the server.
  if (err != 0 && n >= 0 && (size_t)n < sizeof e->message)
    snprintf(e->message + n, sizeof e->message - n, ": %s", strerror(err));
  return false;
}
