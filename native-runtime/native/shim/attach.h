// The attach server (docs/runtime.md, "Attach protocol"): a unix socket the shim owns, so attach
// survives the server. Clients send one JSON line naming the streams they want, then 8-byte framed
// data both ways. Output fans out to every client; stdin from clients is queued into the process's
// stdin (a pipe, or the pty master). A client that cannot keep up is dropped, never waited for.
#pragma once

#include <stddef.h>

#include "buffer.h"
#include "error.h"
#include "event_loop.h"

enum FrameKind { FRAME_STDIN = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_CONTROL = 3 };

struct AttachClient;

class AttachServer {
 public:
  // Binds path (mode 0600, a stale socket is replaced) and registers it with loop.
  bool listen(const char *path, EventLoop *loop, Error *e);
  // stdin_fd: pipe write end or the pty master (-1: none). master_fd: for resize (-1: no terminal).
  // When stdin_fd is the master, the owner of the master's loop entry calls on_stdin_writable.
  // May be called twice: with the stdin pipe before the process runs, then again with the pty master
  // once the container has sent it. expect_stdin: input arriving before then is queued, not dropped.
  void set_stdio(int stdin_fd, int master_fd, bool stdin_once);
  void expect_stdin() { stdin_expected_ = true; }
  // The master/stdin fd is about to be closed by its owner.
  void stdio_closed();
  void on_stdin_writable();
  // Sends output to every client that asked for this stream.
  void broadcast(FrameKind kind, const char *data, size_t len);
  // True once a client has completed its handshake (waitForAttach).
  bool attached() const { return ever_attached_; }
  // Sends {"exit":code} to every client, flushes for at most timeout_ms, closes all, unlinks the socket.
  void finish(int exit_code, int timeout_ms);

  // Internal, called from the loop's handlers.
  void on_accept();
  void on_client(AttachClient *c, short revents);
  void on_stdin_event(short revents);

 private:
  void drop(AttachClient *c);
  void handle_control(AttachClient *c, const char *json, size_t len);
  void send_frame(AttachClient *c, FrameKind kind, const char *data, size_t len);
  void update_client_events(AttachClient *c);
  void update_stdin_events();
  void close_stdin();
  void flush_stdin();
  bool read_client(AttachClient *c);

  EventLoop *loop_ = nullptr;
  const char *path_ = nullptr;
  int listen_fd_ = -1;
  int stdin_fd_ = -1;
  int master_fd_ = -1;
  bool stdin_once_ = false;
  bool stdin_closing_ = false;
  bool stdin_expected_ = false;
  int pending_rows_ = 0, pending_cols_ = 0;  // a resize that came before the pty master
  int stdin_owner_ = -1;  // id of the first client that attached with stdin
  bool ever_attached_ = false;
  int next_id_ = 1;
  ByteQueue stdin_q_;
  AttachClient *clients_ = nullptr;
};
