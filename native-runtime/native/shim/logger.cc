#include "logger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

bool Logger::open(const char *path, uint64_t max_size, int max_files, Error *e) {
  path_ = path;
  max_size_ = max_size;
  max_files_ = max_files;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    if (!mkdir_all(dir, 0700, e)) return false;
  }
  fd_ = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return fail(e, "log", errno, "open %s", path);
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? (uint64_t)st.st_size : 0;
  return true;
}

// Nanoseconds since the epoch, strictly increasing so readers can order records.
uint64_t Logger::next_timestamp() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  last_ts_ = now > last_ts_ ? now : last_ts_ + 1;
  return last_ts_;
}

// container.log.(N-1) -> .N ... container.log -> .1, keeping max_files files in all.
bool Logger::rotate() {
  ::close(fd_);
  fd_ = -1;
  char from[4200], to[4200];
  for (int i = max_files_ - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", path_);
    else snprintf(from, sizeof from, "%s.%d", path_, i - 1);
    snprintf(to, sizeof to, "%s.%d", path_, i);
    rename(from, to);  // a missing file just means fewer generations so far
  }
  fd_ = ::open(path_, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
  size_ = 0;
  return fd_ >= 0;
}

void Logger::write(LogStream stream, const void *data, size_t len) {
  const char *p = (const char *)data;
  int k = stream == LOG_STDERR ? 1 : 0;
  char *held = pending_[k];
  size_t &held_len = pending_len_[k];
  const char *nl = len ? (const char *)memrchr(p, '\n', len) : nullptr;
  if (!nl) {
    // No line ends here: hold the bytes back, or write the held line out as a partial one when full.
    if (held_len + len <= kMaxLine) {
      memcpy(held + held_len, p, len);
      held_len += len;
      return;
    }
    flush_pending(stream);
    if (len <= kMaxLine) {
      memcpy(held, p, len);
      held_len = len;
    } else {
      write_chunks(stream, p, len);
    }
    return;
  }
  size_t head = (size_t)(nl - p) + 1;
  if (held_len == 0) {
    write_chunks(stream, p, head);
  } else {
    // The held start and this chunk's complete lines go out as one record (one copy, only when a
    // previous read ended mid-line).
    static char joined[kMaxLine + 64 * 1024];
    if (held_len + head <= sizeof joined) {
      memcpy(joined, held, held_len);
      memcpy(joined + held_len, p, head);
      write_chunks(stream, joined, held_len + head);
    } else {
      flush_pending(stream);
      write_chunks(stream, p, head);
    }
    held_len = 0;
  }
  size_t rest = len - head;
  if (rest <= kMaxLine) {
    memcpy(held, p + head, rest);
    held_len = rest;
  } else {
    write_chunks(stream, p + head, rest);
  }
}

void Logger::flush_pending(LogStream stream) {
  int k = stream == LOG_STDERR ? 1 : 0;
  if (pending_len_[k] == 0) return;
  size_t n = pending_len_[k];
  pending_len_[k] = 0;
  write_chunks(stream, pending_[k], n);
}

void Logger::write_chunks(LogStream stream, const char *data, size_t len) {
  const size_t kHeader = 16;
  // A chunk larger than a whole file is split so that no file ever exceeds maxSize.
  size_t piece = max_size_ > kHeader && len > max_size_ - kHeader ? (size_t)(max_size_ - kHeader) : len;
  const char *p = data;
  while (len > 0) {
    size_t n = len < piece ? len : piece;
    write_record(stream, p, n);
    p += n;
    len -= n;
  }
}

void Logger::write_record(LogStream stream, const char *data, size_t len) {
  if (fd_ < 0 && !rotate()) { dropped_++; return; }
  unsigned char hdr[16] = {0};
  uint64_t ts = next_timestamp();
  for (int i = 0; i < 8; i++) hdr[i] = (unsigned char)(ts >> (8 * i));
  hdr[8] = (unsigned char)stream;
  for (int i = 0; i < 4; i++) hdr[12 + i] = (unsigned char)((uint32_t)len >> (8 * i));
  uint64_t rec = sizeof hdr + len;
  if (max_size_ > 0 && size_ > 0 && size_ + rec > max_size_ && !rotate()) { dropped_++; return; }

  iovec iov[2] = {{hdr, sizeof hdr}, {const_cast<char *>(data), len}};
  ssize_t w;
  do w = writev(fd_, iov, 2);
  while (w < 0 && errno == EINTR);
  if (w == (ssize_t)rec) {
    size_ += rec;
    return;
  }
  // A short or failed write (ENOSPC, EDQUOT, EIO): cut the partial record so the file stays parseable,
  // count the drop and carry on; the container must never block on a full disk.
  if (w > 0 && ftruncate(fd_, (off_t)size_) < 0) size_ += (uint64_t)w;
  if (dropped_++ == 0) {
    char msg[256];
    int n = snprintf(msg, sizeof msg, "berth-shim: log write to %s failed (%s); dropping records\n", path_,
                     strerror(w < 0 ? errno : ENOSPC));
    if (::write(2, msg, (size_t)n) < 0) { /* nobody to tell */ }
  }
}

void Logger::close() {
  flush_pending(LOG_STDOUT);
  flush_pending(LOG_STDERR);
  // No fsync, as Docker's log drivers: the page cache survives anything but a power loss.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}
