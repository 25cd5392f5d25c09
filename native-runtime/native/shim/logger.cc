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
  const size_t kHeader = 16;
  // A chunk larger than a whole file is split so that no file ever exceeds maxSize.
  size_t piece = max_size_ > kHeader && len > max_size_ - kHeader ? (size_t)(max_size_ - kHeader) : len;
  const char *p = (const char *)data;
  do {
    size_t n = len < piece ? len : piece;
    write_record(stream, p, n);
    p += n;
    len -= n;
  } while (len > 0);
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
  // No fsync, as Docker's log drivers: the page cache survives anything but a power loss.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}
