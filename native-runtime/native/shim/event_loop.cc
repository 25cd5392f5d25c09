#include "event_loop.h"

#include <errno.h>

bool EventLoop::add(int fd, Handler handler, void *ctx, short events) {
  if (n_ == kMax) return false;
  fds_[n_] = pollfd{fd, events, 0};
  handlers_[n_] = handler;
  ctx_[n_] = ctx;
  n_++;
  return true;
}

void EventLoop::set_events(int fd, short events) {
  for (int i = 0; i < n_; i++)
    if (fds_[i].fd == fd) fds_[i].events = events;
}

void EventLoop::remove(int fd) {
  // fd numbers are reused at once, so a pending dispatch must not reach the next owner of fd.
  for (int i = 0; i < nready_; i++)
    if (ready_[i].fd == fd) ready_handlers_[i] = nullptr;
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
  // Snapshot the ready set first: handlers may add and remove entries while we iterate.
  nready_ = 0;
  for (int i = 0; i < n_; i++) {
    if (!fds_[i].revents) continue;
    ready_[nready_] = fds_[i];
    ready_handlers_[nready_] = handlers_[i];
    ready_ctx_[nready_] = ctx_[i];
    nready_++;
  }
  int m = nready_;
  for (int i = 0; i < nready_; i++)
    if (ready_handlers_[i]) ready_handlers_[i](ready_ctx_[i], ready_[i].fd, ready_[i].revents);
  nready_ = 0;
  return m;
}
