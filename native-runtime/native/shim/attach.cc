#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

namespace {

const size_t kClientQueueLimit = 1 << 20;  // output a client may lag behind before it is dropped
const size_t kStdinQueueLimit = 256 << 10; // clients are paused (not dropped) while stdin is this full
const size_t kMaxHandshake = 1024;
const size_t kMaxControl = 4096;

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void put_header(unsigned char *h, FrameKind kind, size_t len) {
  h[0] = (unsigned char)kind;
  h[1] = h[2] = h[3] = 0;
  h[4] = (unsigned char)(len >> 24);
  h[5] = (unsigned char)(len >> 16);
  h[6] = (unsigned char)(len >> 8);
  h[7] = (unsigned char)len;
}

void on_listen_event(void *ctx, int, short) { ((AttachServer *)ctx)->on_accept(); }
void on_stdin_fd_event(void *ctx, int, short revents) { ((AttachServer *)ctx)->on_stdin_event(revents); }

}  // namespace

// Allocated zeroed with calloc: every field's initial state is all-zero except kind (set to -1).
struct AttachClient {
  AttachServer *server;
  AttachClient *next;
  int fd;
  int id;
  bool handshaken;
  bool want_stdin, want_stdout, want_stderr;
  bool paused;      // not reading: stdin is full
  bool read_closed; // the client half-closed its side
  // Handshake line, then the frame being read.
  char line[kMaxHandshake];
  size_t line_len;
  unsigned char hdr[8];
  size_t hdr_got;
  size_t remaining;     // payload bytes of the current frame still to read
  int kind;
  char ctl[kMaxControl];
  size_t ctl_len;
  bool ctl_overflow;
  ByteQueue out;
};

static void on_client_event(void *ctx, int, short revents) {
  AttachClient *c = (AttachClient *)ctx;
  c->server->on_client(c, revents);
}

bool AttachServer::listen(const char *path, EventLoop *loop, Error *e) {
  loop_ = loop;
  path_ = path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path)
    return fail(e, "attach", ENAMETOOLONG, "attach socket path %s is longer than %zu bytes", path, sizeof addr.sun_path - 1);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(e, "attach", errno, "socket");
  unlink(path);  // a socket left by a previous shim of this container
  // The socket file gets its mode from the umask at bind time; 0600 keeps it root-only from the start.
  mode_t old = umask(0177);
  int r = bind(fd, (sockaddr *)&addr, sizeof addr);
  umask(old);
  if (r < 0 || ::listen(fd, 16) < 0) {
    int err = errno;
    close(fd);
    return fail(e, "attach", err, "listen on %s", path);
  }
  listen_fd_ = fd;
  if (!loop_->add(fd, on_listen_event, this)) return fail(e, "attach", EMFILE, "event loop full");
  return true;
}

void AttachServer::set_stdio(int stdin_fd, int master_fd, bool stdin_once) {
  stdin_once_ = stdin_once;
  master_fd_ = master_fd;
  if (master_fd_ >= 0) set_nonblock(master_fd_);  // input must never block the shim
  if (master_fd_ >= 0 && pending_rows_ > 0) {
    winsize ws{(unsigned short)pending_rows_, (unsigned short)pending_cols_, 0, 0};
    ioctl(master_fd_, TIOCSWINSZ, &ws);
  }
  if (stdin_fd == stdin_fd_) return;
  stdin_fd_ = stdin_fd;
  stdin_expected_ = false;
  // A separate stdin pipe is ours to poll; the master belongs to the supervisor's output handler.
  if (stdin_fd_ >= 0 && stdin_fd_ != master_fd_) {
    set_nonblock(stdin_fd_);
    loop_->add(stdin_fd_, on_stdin_fd_event, this, 0);
  }
  flush_stdin();  // input queued while the process was not there yet
}

void AttachServer::stdio_closed() {
  if (stdin_fd_ >= 0 && stdin_fd_ != master_fd_) {
    loop_->remove(stdin_fd_);
    close(stdin_fd_);
  }
  stdin_fd_ = master_fd_ = -1;
  stdin_q_.release();
  for (AttachClient *c = clients_; c; c = c->next) {
    c->paused = false;
    update_client_events(c);
  }
}

void AttachServer::on_accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN, or out of fds: the client retries
    AttachClient *c = (AttachClient *)calloc(1, sizeof(AttachClient));
    if (!c || !loop_->add(fd, on_client_event, c)) {
      free(c);
      close(fd);
      continue;
    }
    c->server = this;
    c->fd = fd;
    c->id = next_id_++;
    c->kind = -1;
    c->next = clients_;
    clients_ = c;
  }
}

void AttachServer::drop(AttachClient *c) {
  loop_->remove(c->fd);
  close(c->fd);
  for (AttachClient **p = &clients_; *p; p = &(*p)->next) {
    if (*p != c) continue;
    *p = c->next;
    break;
  }
  // With stdinOnce, the stdin client going away is the end of the input, as `docker run -i` has it.
  if (c->id == stdin_owner_ && stdin_once_) close_stdin();
  c->out.release();
  free(c);
}

void AttachServer::update_client_events(AttachClient *c) {
  short ev = 0;
  if (!c->read_closed && !c->paused) ev |= POLLIN;
  if (c->out.size()) ev |= POLLOUT;
  loop_->set_events(c->fd, ev);
}

void AttachServer::send_frame(AttachClient *c, FrameKind kind, const char *data, size_t len) {
  unsigned char h[8];
  put_header(h, kind, len);
  size_t done = 0;
  if (c->out.size() == 0) {  // fast path: straight to the socket
    iovec iov[2] = {{h, 8}, {(void *)data, len}};
    ssize_t w = writev(c->fd, iov, 2);
    if (w < 0 && errno != EAGAIN && errno != EINTR) { drop(c); return; }
    done = w > 0 ? (size_t)w : 0;
    if (done == 8 + len) return;
  }
  bool ok = true;
  if (done < 8) ok = c->out.push(h + done, 8 - done, kClientQueueLimit);
  size_t from = done > 8 ? done - 8 : 0;
  ok = ok && c->out.push(data + from, len - from, kClientQueueLimit);
  if (!ok) { drop(c); return; }  // a slow client is dropped; the container never waits
  update_client_events(c);
}

void AttachServer::broadcast(FrameKind kind, const char *data, size_t len) {
  for (AttachClient *c = clients_, *next; c; c = next) {
    next = c->next;  // send_frame may drop c
    if (!c->handshaken) continue;
    if ((kind == FRAME_STDOUT && c->want_stdout) || (kind == FRAME_STDERR && c->want_stderr)) send_frame(c, kind, data, len);
  }
}

void AttachServer::update_stdin_events() {
  if (stdin_fd_ < 0) return;
  short ev = stdin_q_.size() ? POLLOUT : 0;
  if (stdin_fd_ == master_fd_) ev |= POLLIN;  // the supervisor reads output from the master
  loop_->set_events(stdin_fd_, ev);
}

void AttachServer::close_stdin() {
  if (stdin_fd_ < 0 && !stdin_expected_) return;
  stdin_closing_ = true;
  flush_stdin();
}

void AttachServer::flush_stdin() {
  while (stdin_fd_ >= 0 && stdin_q_.size()) {
    ssize_t w = write(stdin_fd_, stdin_q_.head(), stdin_q_.size());
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    if (w <= 0) {  // the process closed its stdin: nobody will read what is queued
      stdin_q_.release();
      if (stdin_fd_ != master_fd_) stdio_closed();
      return;
    }
    stdin_q_.pop((size_t)w);
  }
  if (stdin_fd_ >= 0 && stdin_closing_ && stdin_q_.size() == 0) {
    stdin_closing_ = false;
    if (stdin_fd_ == master_fd_) {
      // A terminal has no half-close: send its EOF character (^D) as a typist would.
      termios t;
      char eof = tcgetattr(master_fd_, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
      if (write(master_fd_, &eof, 1) < 0) { /* the terminal is gone */ }
      loop_->set_events(master_fd_, POLLIN);
      stdin_fd_ = -1;  // no more input, but the master stays for output and resize
    } else {
      loop_->remove(stdin_fd_);
      close(stdin_fd_);
      stdin_fd_ = -1;
    }
  }
  update_stdin_events();
  if (stdin_q_.size() < kStdinQueueLimit / 2) {
    for (AttachClient *c = clients_; c; c = c->next) {
      if (!c->paused) continue;
      c->paused = false;
      update_client_events(c);
    }
  }
}

void AttachServer::on_stdin_writable() { flush_stdin(); }

void AttachServer::on_stdin_event(short revents) {
  if (revents & (POLLERR | POLLHUP)) {  // the reader is gone
    stdio_closed();
    return;
  }
  flush_stdin();
}

void AttachServer::handle_control(AttachClient *c, const char *json, size_t len) {
  Error e{};
  JsonNode *root = json_parse(json, len, &e);
  if (!root) return;  // a malformed control message is ignored, the stream goes on
  const JsonNode *resize = json_get(root, "resize");
  if (resize && resize->type == JSON_OBJECT) {
    const JsonNode *h = json_get(resize, "h"), *w = json_get(resize, "w");
    if (h && w && h->type == JSON_NUMBER && w->type == JSON_NUMBER && h->number >= 0 && w->number >= 0 &&
        h->number <= 65535 && w->number <= 65535) {
      pending_rows_ = (int)h->number;
      pending_cols_ = (int)w->number;
      winsize ws{(unsigned short)h->number, (unsigned short)w->number, 0, 0};
      if (master_fd_ >= 0) ioctl(master_fd_, TIOCSWINSZ, &ws);  // the kernel sends SIGWINCH to the foreground group
    }
  }
  const JsonNode *cs = json_get(root, "closeStdin");
  if (cs && cs->type == JSON_BOOL && cs->boolean && c->id == stdin_owner_ && stdin_once_) close_stdin();
  json_free(root);
}

// Reads what is available from one client; returns false when it was dropped.
bool AttachServer::read_client(AttachClient *c) {
  if (!c->handshaken) {
    // Byte by byte, so nothing after the newline (the first frames) is consumed here.
    char ch = 0;
    while (ch != '\n') {
      ssize_t r = read(c->fd, &ch, 1);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
      if (r <= 0) { drop(c); return false; }
      if (ch == '\n') break;
      if (c->line_len + 1 >= sizeof c->line) { drop(c); return false; }
      c->line[c->line_len++] = ch;
    }
    Error e{};
    JsonNode *root = json_parse(c->line, c->line_len, &e);
    if (!root || root->type != JSON_OBJECT) { json_free(root); drop(c); return false; }
    const JsonNode *v;
    c->want_stdin = (v = json_get(root, "stdin")) && v->type == JSON_BOOL && v->boolean;
    c->want_stdout = (v = json_get(root, "stdout")) && v->type == JSON_BOOL && v->boolean;
    c->want_stderr = (v = json_get(root, "stderr")) && v->type == JSON_BOOL && v->boolean;
    json_free(root);
    c->handshaken = true;
    ever_attached_ = true;
    if (c->want_stdin && stdin_owner_ < 0) stdin_owner_ = c->id;
    return true;
  }
  if (c->kind < 0) {
    ssize_t r = read(c->fd, c->hdr + c->hdr_got, 8 - c->hdr_got);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (r == 0 && c->hdr_got == 0) {  // half-close: the client has nothing more to send
      c->read_closed = true;
      if (c->id == stdin_owner_ && stdin_once_) close_stdin();
      update_client_events(c);
      return true;
    }
    if (r <= 0) { drop(c); return false; }
    c->hdr_got += (size_t)r;
    if (c->hdr_got < 8) return true;
    c->hdr_got = 0;
    c->kind = c->hdr[0];
    c->remaining = (size_t)c->hdr[4] << 24 | (size_t)c->hdr[5] << 16 | (size_t)c->hdr[6] << 8 | c->hdr[7];
    c->ctl_len = 0;
    c->ctl_overflow = false;
    if (c->kind != FRAME_STDIN && c->kind != FRAME_CONTROL) { drop(c); return false; }
    if (c->remaining > 0) return true;
  } else {
    char buf[16384];
    size_t want = c->remaining < sizeof buf ? c->remaining : sizeof buf;
    bool to_stdin = c->kind == FRAME_STDIN && c->want_stdin && (stdin_fd_ >= 0 || stdin_expected_) && !stdin_closing_;
    if (to_stdin) {
      size_t room = stdin_q_.size() < kStdinQueueLimit ? kStdinQueueLimit - stdin_q_.size() : 0;
      if (room == 0) {  // back-pressure: stop reading this client until stdin drains
        c->paused = true;
        update_client_events(c);
        return true;
      }
      if (want > room) want = room;
    }
    ssize_t r = read(c->fd, buf, want);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (r <= 0) { drop(c); return false; }
    c->remaining -= (size_t)r;
    if (to_stdin) {
      stdin_q_.push(buf, (size_t)r, kStdinQueueLimit);
      flush_stdin();
    } else if (c->kind == FRAME_CONTROL) {
      if (c->ctl_len + (size_t)r <= sizeof c->ctl) {
        memcpy(c->ctl + c->ctl_len, buf, (size_t)r);
        c->ctl_len += (size_t)r;
      } else {
        c->ctl_overflow = true;
      }
    }
  }
  if (c->remaining == 0) {
    if (c->kind == FRAME_CONTROL && !c->ctl_overflow) handle_control(c, c->ctl, c->ctl_len);
    c->kind = -1;
  }
  return true;
}

void AttachServer::on_client(AttachClient *c, short revents) {
  if (revents & POLLOUT) {
    while (c->out.size()) {
      ssize_t w = write(c->fd, c->out.head(), c->out.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) break;
      if (w <= 0) { drop(c); return; }
      c->out.pop((size_t)w);
    }
    update_client_events(c);
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    if (c->read_closed || c->paused) {
      if (revents & (POLLHUP | POLLERR)) drop(c);
      return;
    }
    read_client(c);
  }
}

void AttachServer::finish(int exit_code, int timeout_ms) {
  if (listen_fd_ < 0) return;
  loop_->remove(listen_fd_);
  close(listen_fd_);
  listen_fd_ = -1;
  unlink(path_);
  char msg[48];
  int n = snprintf(msg, sizeof msg, "{\"exit\":%d}", exit_code);
  for (AttachClient *c = clients_, *next; c; c = next) {
    next = c->next;
    if (c->handshaken) send_frame(c, FRAME_CONTROL, msg, (size_t)n);
  }
  // Give slow readers a moment to take the rest of the output and the exit frame.
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    bool pending = false;
    for (AttachClient *c = clients_; c; c = c->next) pending = pending || c->out.size();
    if (!pending) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed >= timeout_ms) break;
    loop_->run_once((int)(timeout_ms - elapsed));
  }
  while (clients_) drop(clients_);
}
