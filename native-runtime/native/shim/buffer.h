// A bounded byte queue for non-blocking writers (attach clients, container stdin, proxy streams).
// Memory is allocated on first use and given back once drained, so an idle shim stays small.
#pragma once

#include <stdlib.h>
#include <string.h>

struct ByteQueue {
  char *data = nullptr;
  size_t off = 0, len = 0, cap = 0;

  size_t size() const { return len; }
  const char *head() const { return data + off; }
  // Appends all of buf, or nothing when that would take the queue past limit.
  bool push(const void *buf, size_t n, size_t limit) {
    if (len + n > limit) return false;
    if (off + len + n > cap) {
      if (off > 0) {
        memmove(data, data + off, len);
        off = 0;
      }
      if (len + n > cap) {
        size_t want = cap ? cap : 4096;
        while (want < len + n) want *= 2;
        char *p = (char *)realloc(data, want);
        if (!p) return false;
        data = p;
        cap = want;
      }
    }
    memcpy(data + off + len, buf, n);
    len += n;
    return true;
  }
  void pop(size_t n) {
    off += n;
    len -= n;
    if (len == 0) release();
  }
  void release() {
    free(data);
    data = nullptr;
    off = len = cap = 0;
  }
};
