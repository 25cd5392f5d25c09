// Published ports: the shim's userland proxy (docs/runtime.md, "ports"). Host sockets are bound in
// the host's net namespace before the container starts; each accepted connection (or UDP peer) gets
// a socket to the container: dialled from inside its net namespace for a loopback target, from the host
// for its bridge address. Publishing needs no iptables and survives the server, which does not own these sockets.
#pragma once

#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "error.h"
#include "event_loop.h"

class PortProxy {
 public:
  // Binds every host socket (hostPort 0: the kernel picks one). EADDRINUSE is a stage "ports" error.
  bool bind_all(const PortSpec *ports, int n, Error *e);
  // Starts serving; container_netns is an fd of the container's net namespace (-1: the host's).
  bool start(EventLoop *loop, int container_netns, Error *e);
  // ,"ports":[{…,"hostPort":N}] for the status line (empty when there are no ports).
  size_t format_status(char *out, size_t cap) const;
  void close_all();

  // Internal, called from the loop's handlers.
  struct Listener;
  void on_accept(Listener *l);
  void on_udp(Listener *l);
  int inner_socket(const struct sockaddr_storage *target, int type, Error *e);

  EventLoop *loop_ = nullptr;

 private:
  Listener *listeners_ = nullptr;
  int nlisteners_ = 0;
  int host_netns_ = -1;
  int container_netns_ = -1;
};
