#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

namespace {

const size_t kRelayBuffer = 64 << 10;  // per direction and connection
const int kMaxUdpPeers = 128;
const int kUdpIdleSeconds = 120;

bool parse_addr(const char *ip, int port, sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  sockaddr_in *a4 = (sockaddr_in *)out;
  sockaddr_in6 *a6 = (sockaddr_in6 *)out;
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return true;
  }
  if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return true;
  }
  return false;
}

bool same_peer(const sockaddr_storage &a, const sockaddr_storage &b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const sockaddr_in &x = (const sockaddr_in &)a, &y = (const sockaddr_in &)b;
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const sockaddr_in6 &x = (const sockaddr_in6 &)a, &y = (const sockaddr_in6 &)b;
  return x.sin6_port == y.sin6_port && memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
}

// One direction of a TCP relay: bytes read from `from`, not yet written to `to`.
struct Pipe {
  char *buf;
  size_t off, len;
  bool eof;       // `from` sent FIN
  bool shut;      // FIN forwarded to `to`
};

struct Conn {
  PortProxy *proxy;
  int host, inner;
  bool connecting;
  Pipe up;    // host -> inner
  Pipe down;  // inner -> host
};

void conn_close(Conn *c) {
  c->proxy->loop_->remove(c->host);
  c->proxy->loop_->remove(c->inner);
  close(c->host);
  close(c->inner);
  free(c->up.buf);
  free(c->down.buf);
  free(c);
}

// Moves what it can in one direction; false on a hard error (reset), which ends the connection.
bool pump(int from, int to, Pipe *p) {
  for (;;) {
    while (p->len) {
      ssize_t w = send(to, p->buf + p->off, p->len, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return true;
      if (w < 0) return false;
      p->off += (size_t)w;
      p->len -= (size_t)w;
    }
    p->off = 0;
    if (p->eof) break;
    ssize_t r = recv(from, p->buf, kRelayBuffer, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return true;
    if (r < 0) return false;
    if (r == 0) { p->eof = true; break; }
    p->len = (size_t)r;
  }
  // Half-close travels on: the other side may still answer after our FIN (`nc -N`, HTTP/1.0 clients).
  if (!p->shut) {
    shutdown(to, SHUT_WR);
    p->shut = true;
  }
  return true;
}

void conn_update(Conn *c) {
  short host_ev = 0, inner_ev = 0;
  if (!c->up.eof && !c->up.len) host_ev |= POLLIN;
  if (c->down.len) host_ev |= POLLOUT;
  if (!c->down.eof && !c->down.len) inner_ev |= POLLIN;
  if (c->up.len) inner_ev |= POLLOUT;
  c->proxy->loop_->set_events(c->host, host_ev);
  c->proxy->loop_->set_events(c->inner, inner_ev);
}

void conn_event(void *ctx, int fd, short revents) {
  Conn *c = (Conn *)ctx;
  if (revents & POLLERR) { conn_close(c); return; }  // reset, or nothing listens inside
  if (c->connecting) {
    if (fd != c->inner) {
      if (revents & POLLHUP) conn_close(c);
      return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->inner, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (revents & POLLHUP)) { conn_close(c); return; }
    c->connecting = false;
  }
  if (!pump(c->host, c->inner, &c->up) || !pump(c->inner, c->host, &c->down)) { conn_close(c); return; }
  if (c->up.shut && c->down.shut) { conn_close(c); return; }
  // Hung up both ways: nothing more can reach fd. Stay only to drain what is owed to the other side.
  if (revents & POLLHUP) {
    const Pipe &owed = fd == c->host ? c->up : c->down;
    if (!owed.len) { conn_close(c); return; }
  }
  conn_update(c);
}

struct UdpPeer {
  PortProxy::Listener *l;
  sockaddr_storage addr;
  socklen_t addr_len;
  int inner;  // connected to the container's address; -1 when the slot is free
  time_t last;
};

}  // namespace

struct PortProxy::Listener {
  PortProxy *proxy;
  PortSpec spec;
  int fd;
  sockaddr_storage target;
  socklen_t target_len;
  UdpPeer *peers;  // UDP only
};

namespace {

void on_listener(void *ctx, int, short) {
  PortProxy::Listener *l = (PortProxy::Listener *)ctx;
  if (l->spec.udp) l->proxy->on_udp(l);
  else l->proxy->on_accept(l);
}

void udp_drop(PortProxy *proxy, UdpPeer *p) {
  proxy->loop_->remove(p->inner);
  close(p->inner);
  p->inner = -1;
}

void on_udp_inner(void *ctx, int, short) {
  UdpPeer *p = (UdpPeer *)ctx;
  char buf[65536];
  for (;;) {
    ssize_t r = recv(p->inner, buf, sizeof buf, 0);
    if (r < 0) return;  // EAGAIN, or ICMP unreachable reported on a connected socket
    sendto(p->l->fd, buf, (size_t)r, MSG_DONTWAIT, (sockaddr *)&p->addr, p->addr_len);
    p->last = time(nullptr);
  }
}

}  // namespace

// A loopback target is only reachable from inside the container's namespace. Any other target (the
// container's bridge address) is dialled from the host, as Docker's userland proxy does, so the traffic
// arrives on the container's eth0 and shows in its interface statistics.
static bool is_loopback(const sockaddr_storage *a) {
  if (a->ss_family == AF_INET) return (ntohl(((const sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
  if (a->ss_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&((const sockaddr_in6 *)a)->sin6_addr);
  return false;
}

int PortProxy::inner_socket(const sockaddr_storage *target, int type, Error *e) {
  int family = target->ss_family;
  bool enter = container_netns_ >= 0 && is_loopback(target);
  // setns affects only the calling thread, and the shim has one: in, socket(), out.
  if (enter && setns(container_netns_, CLONE_NEWNET) < 0) {
    fail(e, "ports", errno, "enter the container's net namespace");
    return -1;
  }
  int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int err = errno;
  if (enter && setns(host_netns_, CLONE_NEWNET) < 0) {
    // Staying in the container's namespace would bind later sockets there: not survivable.
    write(2, "berth-shim: cannot return to the host net namespace\n", 52);
    _exit(1);
  }
  if (fd < 0) fail(e, "ports", err, "socket");
  return fd;
}

bool PortProxy::bind_all(const PortSpec *ports, int n, Error *e) {
  listeners_ = (Listener *)calloc((size_t)n + 1, sizeof(Listener));
  if (!listeners_) return fail(e, "ports", ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    Listener *l = &listeners_[i];
    l->proxy = this;
    l->spec = ports[i];
    const PortSpec &p = l->spec;
    const char *proto = p.udp ? "udp" : "tcp";
    sockaddr_storage addr;
    socklen_t len;
    if (!parse_addr(p.host_ip, p.host_port, &addr, &len))
      return fail(e, "ports", EINVAL, "hostIp %s is not an IP address", p.host_ip);
    if (!parse_addr(p.connect_ip, p.container_port, &l->target, &l->target_len))
      return fail(e, "ports", EINVAL, "connectIp %s is not an IP address", p.connect_ip);
    l->fd = socket(addr.ss_family, (p.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0) return fail(e, "ports", errno, "socket for %s:%d/%s", p.host_ip, p.host_port, proto);
    nlisteners_ = i + 1;
    int one = 1;
    if (!p.udp) setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // TIME_WAIT of a previous shim
    if (addr.ss_family == AF_INET6) setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const char *open = addr.ss_family == AF_INET6 ? "[" : "", *close_ = addr.ss_family == AF_INET6 ? "]" : "";
    if (bind(l->fd, (sockaddr *)&addr, len) < 0)
      return fail(e, "ports", errno, "bind %s%s%s:%d/%s", open, p.host_ip, close_, p.host_port, proto);
    if (!p.udp && listen(l->fd, 128) < 0)
      return fail(e, "ports", errno, "listen %s%s%s:%d/%s", open, p.host_ip, close_, p.host_port, proto);
    if (p.host_port == 0) {  // report the port the kernel chose
      sockaddr_storage got;
      socklen_t glen = sizeof got;
      getsockname(l->fd, (sockaddr *)&got, &glen);
      l->spec.host_port = ntohs(got.ss_family == AF_INET6 ? ((sockaddr_in6 *)&got)->sin6_port : ((sockaddr_in *)&got)->sin_port);
    }
    if (p.udp) {
      l->peers = (UdpPeer *)calloc(kMaxUdpPeers, sizeof(UdpPeer));
      if (!l->peers) return fail(e, "ports", ENOMEM, "out of memory");
      for (int k = 0; k < kMaxUdpPeers; k++) l->peers[k].inner = -1, l->peers[k].l = l;
    }
  }
  return true;
}

bool PortProxy::start(EventLoop *loop, int container_netns, Error *e) {
  loop_ = loop;
  container_netns_ = container_netns;
  if (container_netns_ >= 0) {
    host_netns_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_netns_ < 0) return fail(e, "ports", errno, "open /proc/self/ns/net");
  }
  for (int i = 0; i < nlisteners_; i++)
    if (!loop_->add(listeners_[i].fd, on_listener, &listeners_[i])) return fail(e, "ports", EMFILE, "event loop full");
  return true;
}

void PortProxy::on_accept(Listener *l) {
  for (;;) {
    int host = accept4(l->fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (host < 0) return;
    Error e{};
    int inner = inner_socket(&l->target, SOCK_STREAM, &e);
    Conn *c = inner >= 0 ? (Conn *)calloc(1, sizeof(Conn)) : nullptr;
    if (c) {
      c->up.buf = (char *)malloc(kRelayBuffer);
      c->down.buf = (char *)malloc(kRelayBuffer);
    }
    bool ok = c && c->up.buf && c->down.buf;
    if (ok && connect(inner, (sockaddr *)&l->target, l->target_len) < 0 && errno != EINPROGRESS) ok = false;
    if (!ok) {
      if (c) { free(c->up.buf); free(c->down.buf); free(c); }
      if (inner >= 0) close(inner);
      close(host);  // the client sees the connection closed, as with Docker's proxy
      continue;
    }
    c->proxy = this;
    c->host = host;
    c->inner = inner;
    c->connecting = true;
    // Nothing is read from the client until the inner connection is up.
    if (!loop_->add(host, conn_event, c, 0) || !loop_->add(inner, conn_event, c, POLLOUT)) {
      conn_close(c);
      continue;
    }
  }
}

void PortProxy::on_udp(Listener *l) {
  char buf[65536];
  for (;;) {
    sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t r = recvfrom(l->fd, buf, sizeof buf, 0, (sockaddr *)&from, &flen);
    if (r < 0) return;
    time_t now = time(nullptr);
    UdpPeer *peer = nullptr, *free_slot = nullptr, *oldest = nullptr;
    for (int k = 0; k < kMaxUdpPeers; k++) {
      UdpPeer *p = &l->peers[k];
      if (p->inner >= 0 && now - p->last > kUdpIdleSeconds) udp_drop(this, p);
      if (p->inner < 0) { if (!free_slot) free_slot = p; continue; }
      if (same_peer(p->addr, from)) peer = p;
      if (!oldest || p->last < oldest->last) oldest = p;
    }
    if (!peer) {
      if (!free_slot) {
        udp_drop(this, oldest);
        free_slot = oldest;
      }
      Error e{};
      int inner = inner_socket(&l->target, SOCK_DGRAM, &e);
      if (inner < 0) continue;
      if (connect(inner, (sockaddr *)&l->target, l->target_len) < 0) { close(inner); continue; }
      if (!loop_->add(inner, on_udp_inner, free_slot)) { close(inner); continue; }
      peer = free_slot;
      peer->addr = from;
      peer->addr_len = flen;
      peer->inner = inner;
    }
    peer->last = now;
    send(peer->inner, buf, (size_t)r, MSG_DONTWAIT);
  }
}

size_t PortProxy::format_status(char *out, size_t cap) const {
  if (nlisteners_ == 0 || cap == 0) return 0;
  size_t n = (size_t)snprintf(out, cap, ",\"ports\":[");
  for (int i = 0; i < nlisteners_ && n < cap; i++) {
    const PortSpec &p = listeners_[i].spec;
    char host[96], conn[96];
    json_quote(host, sizeof host, p.host_ip);
    json_quote(conn, sizeof conn, p.connect_ip);
    n += (size_t)snprintf(out + n, cap - n, "%s{\"hostIp\":%s,\"hostPort\":%d,\"containerPort\":%d,\"proto\":\"%s\",\"connectIp\":%s}",
                          i ? "," : "", host, p.host_port, p.container_port, p.udp ? "udp" : "tcp", conn);
  }
  if (n < cap) n += (size_t)snprintf(out + n, cap - n, "]");
  return n < cap ? n : cap - 1;
}

void PortProxy::close_all() {
  for (int i = 0; i < nlisteners_; i++) {
    Listener *l = &listeners_[i];
    if (loop_) loop_->remove(l->fd);
    close(l->fd);
    for (int k = 0; l->peers && k < kMaxUdpPeers; k++)
      if (l->peers[k].inner >= 0) udp_drop(this, &l->peers[k]);
  }
  nlisteners_ = 0;
}
