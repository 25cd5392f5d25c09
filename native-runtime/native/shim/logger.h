// The container log: binary records (docs/runtime.md "Log format"), size-based rotation, and
// ENOSPC handling that drops records instead of blocking the container.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum LogStream { LOG_STDOUT = 1, LOG_STDERR = 2 };

class Logger {
 public:
  bool open(const char *path, uint64_t max_size, int max_files, Error *e);
  // Whole lines become records; a line's start is held back until its end arrives (up to kMaxLine bytes),
  // as dockerd's log copier does, so a line never spans two records with two times.
  void write(LogStream stream, const void *data, size_t len);
  // Writes out held-back line starts, then closes the file.
  void close();
  static const size_t kMaxLine = 16 * 1024;
  uint64_t dropped() const { return dropped_; }

 private:
  void write_chunks(LogStream stream, const char *data, size_t len);
  void write_record(LogStream stream, const char *data, size_t len);
  void flush_pending(LogStream stream);
  bool rotate();
  uint64_t next_timestamp();

  const char *path_ = nullptr;
  uint64_t max_size_ = 0;
  int max_files_ = 1;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t last_ts_ = 0;
  uint64_t dropped_ = 0;
  // Per stream (stdout, stderr): the start of a line whose newline has not come yet.
  char pending_[2][kMaxLine];
  size_t pending_len_[2] = {0, 0};
};
