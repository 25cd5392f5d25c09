#include "event_loop.h"

#include <errno.h>

bool EventLoop::add(int fd, Handler handler, void *ctx) {
  if (n_ == kMax) return false;
  fds_[n_] = pollfd{fd, POLLIN, 0};
  handlers_[n_] = handler;
  ctx_[n_] = ctx;
  n_++;
  return true;
}

void EventLoop::remove(int fd) {
  for (int i = 0; i < n_; i++) {
    if (fds_[i].fd != fd) continue;
    n_--;
    fds_[i] = fds_[n_];
    handlers_[i] = handlers_[n_];
    ctx_[i] = ctx_[n_];
    return;
  }
}

int EventLoop::run_once(int timeout_ms) {
  int r = poll(fds_, (nfds_t)n_, timeout_ms);
  if (r <= 0) return 0;
  // Snapshot the ready set first: handlers may remove entries while we iterate.
  pollfd ready[kMax];
  Handler handlers[kMax];
  void *ctx[kMax];
  int m = 0;
  for (int i = 0; i < n_; i++) {
    if (!fds_[i].revents) continue;
    ready[m] = fds_[i];
    handlers[m] = handlers_[i];
    ctx[m] = ctx_[i];
    m++;
  }
  for (int i = 0; i < m; i++) handlers[i](ctx[i], ready[i].fd, ready[i].revents);
  return m;
}
