// A tiny poll(2) loop. The supervisor registers the container's output streams and a signalfd;
// an attach server will register its listening socket and clients the same way.
#pragma once

#include <poll.h>

class EventLoop {
 public:
  using Handler = void (*)(void *ctx, int fd, short revents);

  bool add(int fd, Handler handler, void *ctx);
  void remove(int fd);
  int size() const { return n_; }
  // Waits up to timeout_ms and dispatches ready fds; returns the number dispatched, 0 on timeout.
  int run_once(int timeout_ms);

 private:
  static const int kMax = 32;
  pollfd fds_[kMax];
  Handler handlers_[kMax];
  void *ctx_[kMax];
  int n_ = 0;
};
