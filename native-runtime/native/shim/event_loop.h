// A tiny poll(2) loop. The supervisor registers the container's output streams and a signalfd; the
// attach server and the port proxy register their listening sockets and connections the same way.
#pragma once

#include <poll.h>

class EventLoop {
 public:
  using Handler = void (*)(void *ctx, int fd, short revents);

  bool add(int fd, Handler handler, void *ctx, short events = POLLIN);
  // Changes the events polled for fd (e.g. POLLOUT only while output is queued).
  void set_events(int fd, short events);
  // Also cancels a dispatch of fd still pending in the current round, so a handler may close and
  // free other entries' contexts safely.
  void remove(int fd);
  int size() const { return n_; }
  // Waits up to timeout_ms and dispatches ready fds; returns the number dispatched, 0 on timeout.
  int run_once(int timeout_ms);

 private:
  static const int kMax = 1024;
  pollfd fds_[kMax];
  Handler handlers_[kMax];
  void *ctx_[kMax];
  int n_ = 0;
  // The round being dispatched.
  pollfd ready_[kMax];
  Handler ready_handlers_[kMax];
  void *ready_ctx_[kMax];
  int nready_ = 0;
};
