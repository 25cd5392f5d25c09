#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dns_names.h"
#include "dns_nat.h"
#include "fd.h"
#include "json.h"

namespace {

const uint16_t kTypeA = 1, kTypePTR = 12, kTypeAAAA = 28, kTypeOPT = 41;
const int kRcodeFormErr = 1, kRcodeServFail = 2, kRcodeNotImp = 4, kRcodeRefused = 5;
const uint32_t kTtl = 600;  // dockerd's embedded server answers with 600 s
const size_t kUdpMin = 512;        // without EDNS0, and the floor of an advertised size (RFC 6891 6.2.5)
const size_t kUdpMax = 65507;      // the largest UDP payload over IPv4
const uint16_t kUdpAdvertised = 4096;  // what our OPT says we accept: the size of the receive buffer
const size_t kOptLen = 11;         // an OPT record without options
const int kMaxUpstreams = 3, kMaxPending = 64, kMaxTcp = 16;
const int kForwardTimeout = 5;  // seconds; the client has long retried by then

struct Query {
  uint16_t id, flags, qtype, qclass;
  char name[256];      // lower case, dotted, no trailing dot ("" for the root)
  size_t question_end; // offset after the question section
  bool edns;           // the query has an OPT record (EDNS0)
  uint16_t udp_size;   // the UDP payload size it advertises
  bool dnssec_ok;      // its DO bit, copied into our OPT (RFC 3225)
};

struct Pending {
  int fd = -1;  // connected to the upstream, in the host's namespace
  sockaddr_in client;
  time_t started;
};

struct TcpConn {
  int fd = -1;
  size_t len;
  unsigned char buf[2 + 1024];
  // Forwarded over TCP (a name not in the tables): the upstream connection and its answer.
  int up = -1;
  bool up_connected;
  time_t started;
  unsigned char *resp;  // 2-byte length + message, malloc'ed
  size_t rlen, rsent;
};

struct Server {
  EventLoop *loop;
  NameTables names;
  int udp = -1, tcp = -1;
  sockaddr_in upstream[kMaxUpstreams];
  int nupstream = 0, next_upstream = 0;
  Pending pending[kMaxPending];
  TcpConn tcp_conns[kMaxTcp];
} g;

uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
void wr16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
void wr32(unsigned char *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

// Moves *off past a name (labels, possibly ending in a compression pointer); false past the end.
bool skip_name(const unsigned char *m, size_t len, size_t *off) {
  for (size_t o = *off; o < len;) {
    unsigned l = m[o];
    if (l == 0) return *off = o + 1, true;
    if ((l & 0xc0) == 0xc0) return o + 2 <= len && (*off = o + 2, true);
    if (l > 63) return false;
    o += 1 + l;
  }
  return false;
}

// The OPT record of the additional section (RFC 6891), the records before it skipped. A malformed
// record is FORMERR, as miekg/dns (dockerd's resolver) answers a message it cannot unpack.
bool parse_edns(const unsigned char *m, size_t len, Query *q) {
  unsigned before = (unsigned)rd16(m + 6) + rd16(m + 8), records = before + rd16(m + 10);
  size_t off = q->question_end;
  for (unsigned i = 0; i < records; i++) {
    if (!skip_name(m, len, &off) || off + 10 > len) return false;
    size_t rdlen = rd16(m + off + 8);
    if (off + 10 + rdlen > len) return false;
    if (rd16(m + off) == kTypeOPT && i >= before && !q->edns) {
      q->edns = true;
      q->udp_size = rd16(m + off + 2);
      q->dnssec_ok = (m[off + 6] & 0x80) != 0;
    }
    off += 10 + rdlen;
  }
  return true;
}

// Only what a resolver sends: one question, its name without compression pointers; EDNS0 if present.
int parse_query(const unsigned char *m, size_t len, Query *q) {
  if (len < 12) return -1;
  q->id = rd16(m);
  q->flags = rd16(m + 2);
  if (q->flags & 0x8000) return -1;  // a response: never answered
  if (((q->flags >> 11) & 0xf) != 0) return kRcodeNotImp;
  if (rd16(m + 4) != 1) return kRcodeFormErr;
  size_t off = 12, n = 0;
  for (;;) {
    if (off >= len) return kRcodeFormErr;
    unsigned l = m[off++];
    if (l == 0) break;
    if (l > 63 || off + l > len || n + l + 2 > sizeof q->name) return kRcodeFormErr;
    if (n) q->name[n++] = '.';
    for (unsigned i = 0; i < l; i++) {
      unsigned char c = m[off + i];
      q->name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    off += l;
  }
  q->name[n] = 0;
  if (off + 4 > len) return kRcodeFormErr;
  q->qtype = rd16(m + off);
  q->qclass = rd16(m + off + 2);
  q->question_end = off + 4;
  if (!parse_edns(m, len, q)) {
    q->edns = false;
    return kRcodeFormErr;
  }
  return 0;
}

// The largest answer the client takes over UDP: 512 bytes, or the size its OPT advertises.
size_t udp_limit(const Query *q) {
  size_t size = q->edns && q->udp_size > kUdpMin ? q->udp_size : kUdpMin;
  return size < kUdpMax ? size : kUdpMax;
}

// A query with an OPT record gets one back (RFC 6891 7): our payload size, version 0, its DO bit. The
// caller leaves kOptLen bytes for it.
size_t add_opt(unsigned char *out, size_t n, const Query *q) {
  if (!q->edns) return n;
  out[n] = 0;  // the root
  wr16(out + n + 1, kTypeOPT);
  wr16(out + n + 3, kUdpAdvertised);
  wr32(out + n + 5, q->dnssec_ok ? 0x8000 : 0);
  wr16(out + n + 9, 0);
  wr16(out + 10, 1);
  return n + kOptLen;
}

// The header and the question of the query, then the answers the caller appends.
size_t start_response(const unsigned char *m, const Query *q, int rcode, bool authoritative, unsigned char *out) {
  size_t qlen = q->question_end ? q->question_end - 12 : 0;
  wr16(out, q->id);
  uint16_t flags = 0x8000 | (q->flags & 0x7900) | (uint16_t)rcode;  // QR, opcode and RD kept
  if (authoritative) flags |= 0x0400;
  if (g.nupstream) flags |= 0x0080;  // RA
  wr16(out + 2, flags);
  wr16(out + 4, qlen ? 1 : 0);
  wr16(out + 6, 0);
  wr16(out + 8, 0);
  wr16(out + 10, 0);
  memcpy(out + 12, m + 12, qlen);
  return 12 + qlen;
}

size_t answer_a(unsigned char *out, size_t n, uint32_t ip) {
  wr16(out + n, 0xc00c);  // the question's name
  wr16(out + n + 2, kTypeA);
  wr16(out + n + 4, 1);
  wr32(out + n + 6, kTtl);
  wr16(out + n + 10, 4);
  memcpy(out + n + 12, &ip, 4);
  return n + 16;
}

// "d.c.b.a.in-addr.arpa" → a.b.c.d (network order).
bool parse_reverse(const char *name, uint32_t *ip) {
  unsigned o[4];
  char tail[32];
  if (sscanf(name, "%u.%u.%u.%u.%31s", &o[0], &o[1], &o[2], &o[3], tail) != 5 || strcmp(tail, "in-addr.arpa") != 0) return false;
  for (unsigned x : o)
    if (x > 255) return false;
  *ip = htonl(o[3] << 24 | o[2] << 16 | o[1] << 8 | o[0]);
  return true;
}

size_t answer_ptr(unsigned char *out, size_t n, size_t cap, const char *target) {
  size_t start = n;
  wr16(out + n, 0xc00c);
  wr16(out + n + 2, kTypePTR);
  wr16(out + n + 4, 1);
  wr32(out + n + 6, kTtl);
  n += 12;
  size_t rd = n;
  for (const char *p = target; *p;) {
    size_t l = strcspn(p, ".");
    if (l == 0 || l > 63 || n + l + 2 > cap) return start;
    out[n++] = (unsigned char)l;
    memcpy(out + n, p, l);
    n += l;
    p += l;
    if (*p == '.') p++;
  }
  out[n++] = 0;
  wr16(out + rd - 2, (uint16_t)(n - rd));
  return n;
}

// Answers from the tables; 0 when the query must be forwarded (or refused for want of an upstream).
// Over UDP the answer is cut to what the client takes (udp_limit), over TCP to cap.
size_t answer_local(const unsigned char *m, size_t len, unsigned char *out, size_t cap, bool tcp) {
  Query q{};
  int rc = parse_query(m, len, &q);
  if (rc < 0) return 0;
  if (rc > 0) {
    q.question_end = 0;
    return start_response(m, &q, rc, false, out);
  }
  size_t limit = tcp ? cap : udp_limit(&q);
  if (limit > cap) limit = cap;
  if (q.edns) limit -= kOptLen;  // the OPT record is never cut (miekg/dns Truncate keeps it too)
  if (q.qclass != 1) return add_opt(out, start_response(m, &q, kRcodeRefused, false, out), &q);
  if (q.qtype == kTypePTR) {
    uint32_t ip;
    char target[300];
    if (!parse_reverse(q.name, &ip) || !g.names.reverse(ip, target, sizeof target)) return 0;
    size_t n = start_response(m, &q, 0, true, out);
    size_t after = answer_ptr(out, n, limit, target);
    if (after > n) wr16(out + 6, 1);
    return add_opt(out, after, &q);
  }
  NameMatch hit;
  g.names.lookup(q.name, &hit);
  if (!hit.known) return 0;
  size_t n = start_response(m, &q, 0, true, out);
  // A known name has no other records: AAAA and the rest get an empty answer, never forwarded.
  if (q.qtype != kTypeA) return add_opt(out, n, &q);
  int count = 0;
  for (int i = 0; i < hit.nips && n + 16 <= limit; i++, count++) n = answer_a(out, n, hit.ips[i]);
  wr16(out + 6, (uint16_t)count);
  // Not every address fit (512 bytes over UDP, or the size an OPT record advertises): TC tells the
  // client to ask over TCP, as dockerd's resolver (miekg/dns Truncate) does.
  if (count < hit.nips) out[2] |= 0x02;
  return add_opt(out, n, &q);
}

size_t refuse(const unsigned char *m, size_t len, int rcode, unsigned char *out) {
  Query q{};
  if (parse_query(m, len, &q) != 0) return 0;
  return add_opt(out, start_response(m, &q, rcode, false, out), &q);
}

// Replies leave from 127.0.0.11 whatever the kernel would pick (the socket may have been bound before
// lo was up, and a client's connected socket drops a datagram from any other source).
void reply(const void *buf, size_t n, const sockaddr_in &to) {
  iovec iov{(void *)buf, n};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = (void *)&to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_spec_dst.s_addr = htonl(0x7f00000b);
  memcpy(CMSG_DATA(c), &info, sizeof info);
  sendmsg(g.udp, &msg, MSG_DONTWAIT);
}

void drop_pending(Pending *p) {
  g.loop->remove(p->fd);
  close(p->fd);
  p->fd = -1;
}

void on_upstream(void *ctx, int fd, short) {
  Pending *p = (Pending *)ctx;
  // Whole, whatever its size: the answer goes back verbatim, its OPT record and size as the upstream
  // chose them for the client's query (which carried the client's OPT), as dockerd relays it.
  static unsigned char buf[kUdpMax];
  ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r > 0) reply(buf, (size_t)r, p->client);
  drop_pending(p);
}

// From the host's namespace (the shim's own), as dockerd forwards; the answer goes back as it came.
bool forward(const unsigned char *m, size_t len, const sockaddr_in &client) {
  if (!g.nupstream) return false;
  time_t now = time(nullptr);
  Pending *slot = nullptr, *oldest = nullptr;
  for (Pending &p : g.pending) {
    if (p.fd >= 0 && now - p.started > kForwardTimeout) drop_pending(&p);
    if (p.fd < 0) { if (!slot) slot = &p; continue; }
    if (!oldest || p.started < oldest->started) oldest = &p;
  }
  if (!slot) {
    drop_pending(oldest);
    slot = oldest;
  }
  const sockaddr_in &up = g.upstream[g.next_upstream++ % g.nupstream];
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.ok() || connect(fd.get(), (const sockaddr *)&up, sizeof up) < 0) return false;
  if (send(fd.get(), m, len, MSG_DONTWAIT) < 0) return false;
  if (!g.loop->add(fd.get(), on_upstream, slot)) return false;
  slot->fd = fd.release();
  slot->client = client;
  slot->started = now;
  return true;
}

void on_udp(void *, int fd, short) {
  for (int i = 0; i < 64; i++) {
    static unsigned char m[kUdpAdvertised], out[kUdpMax];
    sockaddr_in from;
    socklen_t flen = sizeof from;
    ssize_t r = recvfrom(fd, m, sizeof m, MSG_DONTWAIT, (sockaddr *)&from, &flen);
    if (r < 0) return;
    size_t n = answer_local(m, (size_t)r, out, sizeof out, false);
    if (!n && forward(m, (size_t)r, from)) continue;
    if (!n) n = refuse(m, (size_t)r, kRcodeServFail, out);
    if (n && from.sin_family == AF_INET) reply(out, n, from);
  }
}

void tcp_close(TcpConn *c) {
  g.loop->remove(c->fd);
  close(c->fd);
  c->fd = -1;
  if (c->up >= 0) {
    g.loop->remove(c->up);
    close(c->up);
    c->up = -1;
  }
  free(c->resp);
  c->resp = nullptr;
}

// The client takes the upstream's answer (it may need several writes: up to 64 KiB).
void on_tcp_flush(void *ctx, int fd, short revents) {
  TcpConn *c = (TcpConn *)ctx;
  if (revents & (POLLHUP | POLLERR)) return tcp_close(c);
  ssize_t w = send(fd, c->resp + c->rsent, c->rlen - c->rsent, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (w <= 0) return tcp_close(c);
  c->rsent += (size_t)w;
  if (c->rsent == c->rlen) tcp_close(c);
}

// A failed forward still gets an answer: SERVFAIL, never a dropped connection.
void tcp_servfail(TcpConn *c) {
  unsigned char out[2 + 512];
  size_t n = refuse(c->buf + 2, rd16(c->buf), kRcodeServFail, out + 2);
  if (n) {
    wr16(out, (uint16_t)n);
    send(c->fd, out, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  tcp_close(c);
}

// The upstream end of a forwarded TCP query: connect, send the query as received, read one answer.
void on_tcp_up(void *ctx, int fd, short revents) {
  TcpConn *c = (TcpConn *)ctx;
  if (!c->up_connected) {
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) return tcp_servfail(c);
    size_t qn = 2 + rd16(c->buf);
    if (send(fd, c->buf, qn, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)qn) return tcp_servfail(c);
    c->up_connected = true;
    g.loop->set_events(fd, POLLIN);
    return;
  }
  if (!c->resp && !(c->resp = (unsigned char *)malloc(2 + 65535))) return tcp_servfail(c);
  size_t want = c->rlen >= 2 ? 2 + (size_t)rd16(c->resp) : 2 + 65535;
  ssize_t r = recv(fd, c->resp + c->rlen, want - c->rlen, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) return tcp_servfail(c);
  c->rlen += (size_t)r;
  if (c->rlen < 2 || c->rlen < 2 + (size_t)rd16(c->resp)) return;
  c->rlen = 2 + rd16(c->resp);
  g.loop->remove(fd);
  close(fd);
  c->up = -1;
  c->rsent = 0;
  if (!g.loop->add(c->fd, on_tcp_flush, c, POLLOUT)) return tcp_close(c);
}

// From the host's namespace, as UDP queries are; over TCP, since the client asked over TCP (often
// after a truncated UDP answer).
bool tcp_forward(TcpConn *c) {
  if (!g.nupstream) return false;
  const sockaddr_in &up = g.upstream[g.next_upstream++ % g.nupstream];
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.ok()) return false;
  if (connect(fd.get(), (const sockaddr *)&up, sizeof up) < 0 && errno != EINPROGRESS) return false;
  if (!g.loop->add(fd.get(), on_tcp_up, c, POLLOUT)) return false;
  g.loop->remove(c->fd);  // one query per connection: nothing more to read from the client
  c->up = fd.release();
  c->up_connected = false;
  c->started = time(nullptr);
  return true;
}

// One query per connection, answered from the tables or forwarded upstream over TCP.
void on_tcp_conn(void *ctx, int fd, short revents) {
  TcpConn *c = (TcpConn *)ctx;
  ssize_t r = read(fd, c->buf + c->len, sizeof c->buf - c->len);
  if (r < 0 && (errno == EAGAIN || errno == EINTR) && !(revents & (POLLHUP | POLLERR))) return;
  if (r <= 0) return tcp_close(c);
  c->len += (size_t)r;
  if (c->len < 2) return;
  size_t want = rd16(c->buf);
  if (2 + want > sizeof c->buf) return tcp_close(c);
  if (c->len < 2 + want) return;
  static unsigned char out[2 + 65535];
  size_t n = answer_local(c->buf + 2, want, out + 2, sizeof out - 2, true);
  if (!n && tcp_forward(c)) return;
  if (!n) n = refuse(c->buf + 2, want, kRcodeServFail, out + 2);
  if (n) {
    wr16(out, (uint16_t)n);
    ssize_t w = send(fd, out, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
    // A long answer (many replicas) may not fit the socket buffer at once: the rest goes as the client reads.
    size_t rest = w >= 0 ? n + 2 - (size_t)w : 0;
    if (rest && (c->resp = (unsigned char *)malloc(rest))) {
      memcpy(c->resp, out + w, rest);
      c->rlen = rest;
      c->rsent = 0;
      g.loop->remove(fd);
      if (g.loop->add(fd, on_tcp_flush, c, POLLOUT)) return;
    }
  }
  tcp_close(c);
}

void on_tcp_accept(void *, int fd, short) {
  time_t now = time(nullptr);
  for (TcpConn &c : g.tcp_conns)  // an upstream that never answered
    if (c.fd >= 0 && c.up >= 0 && now - c.started > kForwardTimeout) tcp_servfail(&c);
  for (;;) {
    int cfd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    TcpConn *slot = nullptr;
    for (TcpConn &c : g.tcp_conns)
      if (c.fd < 0) { slot = &c; break; }
    if (!slot || !g.loop->add(cfd, on_tcp_conn, slot)) {
      close(cfd);  // busy: the client retries over UDP or later
      continue;
    }
    slot->fd = cfd;
    slot->len = 0;
    slot->up = -1;
    slot->resp = nullptr;
    slot->rlen = slot->rsent = 0;
  }
}

int bind_socket(int type, uint16_t port, Error *e) {
  Fd fd(socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.ok()) {
    fail(e, "dns", errno, "socket");
    return -1;
  }
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // lo may not be configured yet at this point of the start.
  setsockopt(fd.get(), IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x7f00000b);  // 127.0.0.11
  if (bind(fd.get(), (sockaddr *)&a, sizeof a) < 0 || (type == SOCK_STREAM && listen(fd.get(), 64) < 0)) {
    fail(e, "dns", errno, "bind 127.0.0.11:%u", port);
    return -1;
  }
  return fd.release();
}

uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  return getsockname(fd, (sockaddr *)&a, &n) == 0 ? ntohs(a.sin_port) : 0;
}

// In the container's namespace: high ports plus the DNAT from 53 (dns_nat.h). Without nftables (no
// nf_tables in the kernel) the server binds 53 itself, as before: resolution works, only a server of
// the container's own on port 53 cannot bind.
bool bind_servers(int *udp, int *tcp, Error *e) {
  Error nat{};
  *udp = bind_socket(SOCK_DGRAM, 0, e);
  *tcp = *udp >= 0 ? bind_socket(SOCK_STREAM, 0, e) : -1;
  if (*tcp < 0) {
    if (*udp >= 0) close(*udp);
    return false;
  }
  if (dns_nat_install(port_of(*udp), port_of(*tcp), &nat)) return true;
  close(*udp);
  close(*tcp);
  *udp = bind_socket(SOCK_DGRAM, 53, e);
  *tcp = *udp >= 0 ? bind_socket(SOCK_STREAM, 53, e) : -1;
  if (*tcp < 0 && *udp >= 0) close(*udp);
  return *tcp >= 0;
}

bool parse_upstream(const char *s, sockaddr_in *out) {
  char ip[64];
  unsigned port = 53;
  const char *colon = strchr(s, ':');
  size_t n = colon ? (size_t)(colon - s) : strlen(s);
  if (n >= sizeof ip) return false;
  memcpy(ip, s, n);
  ip[n] = 0;
  if (colon && (sscanf(colon + 1, "%u", &port) != 1 || port == 0 || port > 65535)) return false;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, ip, &out->sin_addr) == 1;
}

}  // namespace

bool dns_start(const char *shim_json, const char *net, pid_t init, EventLoop *loop, Error *e) {
  if (strcmp(net, "new") != 0) return true;
  size_t len;
  char *text = read_file(shim_json, &len, e);
  if (!text) return false;
  JsonNode *root = json_parse(text, len, e);
  free(text);
  if (!root) return false;
  const JsonNode *dns = json_get(root, "dns");
  if (!dns || dns->type == JSON_NULL) return true;
  if (dns->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"dns\" must be an object");
  const char *tables = nullptr;
  const char **forward = nullptr;
  int nforward = 0;
  if (!json_string(dns, "tables", true, &tables, e) || !json_string_array(dns, "forward", false, &forward, &nforward, e)) return false;
  for (int i = 0; i < nforward && g.nupstream < kMaxUpstreams; i++) {
    if (!parse_upstream(forward[i], &g.upstream[g.nupstream])) return fail(e, "config", EINVAL, "dns.forward: bad address %s", forward[i]);
    g.nupstream++;
  }
  g.loop = loop;
  g.names.init(tables);

  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)init);
  Fd netns(open(path, O_RDONLY | O_CLOEXEC));
  Fd host(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!netns.ok() || !host.ok()) return fail(e, "dns", errno, "open %s", netns.ok() ? "/proc/self/ns/net" : path);
  // setns affects only the calling thread, and the shim has one: in, bind, out.
  if (setns(netns.get(), CLONE_NEWNET) < 0) return fail(e, "dns", errno, "enter the container's net namespace");
  Error be{};
  int udp = -1, tcp = -1;
  bind_servers(&udp, &tcp, &be);
  if (setns(host.get(), CLONE_NEWNET) < 0) {
    write(2, "berth-shim: cannot return to the host net namespace\n", 52);
    _exit(1);
  }
  if (tcp < 0) {
    *e = be;
    return false;
  }
  g.udp = udp;
  g.tcp = tcp;
  if (!loop->add(udp, on_udp, nullptr) || !loop->add(tcp, on_tcp_accept, nullptr)) return fail(e, "dns", EMFILE, "event loop full");
  return true;
}

void dns_stop() {
  if (!g.loop) return;
  for (Pending &p : g.pending)
    if (p.fd >= 0) drop_pending(&p);
  for (TcpConn &c : g.tcp_conns)
    if (c.fd >= 0) tcp_close(&c);
  const int fds[] = {g.udp, g.tcp};
  for (int fd : fds) {
    if (fd < 0) continue;
    g.loop->remove(fd);
    close(fd);
  }
  g.udp = g.tcp = -1;
}
