#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"

namespace {

// A request under construction: header, family struct, attributes (nested ones by offset).
struct Msg {
  union {
    nlmsghdr h;
    char buf[4096];
  };
  nlmsghdr *hdr() { return &h; }
  void *tail() { return buf + NLMSG_ALIGN(h.nlmsg_len); }

  Msg(int type, int flags, const void *body, size_t len) {
    memset(buf, 0, sizeof buf);
    h.nlmsg_type = (unsigned short)type;
    h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
    h.nlmsg_len = (unsigned)NLMSG_LENGTH(len);
    memcpy(NLMSG_DATA(&h), body, len);
  }
  bool attr(int type, const void *data, size_t len) {
    size_t need = NLMSG_ALIGN(h.nlmsg_len) + RTA_SPACE(len);
    if (need > sizeof buf) return false;
    rtattr *a = (rtattr *)tail();
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    h.nlmsg_len = (unsigned)need;
    return true;
  }
  bool attr_str(int type, const char *s) { return attr(type, s, strlen(s) + 1); }
  bool attr_u32(int type, unsigned v) { return attr(type, &v, sizeof v); }
  size_t nest_begin(int type) {
    size_t off = NLMSG_ALIGN(h.nlmsg_len);
    attr(type, nullptr, 0);
    return off;
  }
  void nest_end(size_t off) { ((rtattr *)(buf + off))->rta_len = (unsigned short)(h.nlmsg_len - off); }
};

int open_socket(Error *e) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) fail(e, "network", errno, "netlink socket");
  return fd;
}

// Sends m and waits for its ACK; the kernel's error comes back as the errno of the result.
bool talk(Msg &m, const char *what, Error *e, int ok_errno = 0) {
  Fd fd(open_socket(e));
  if (!fd.ok()) return false;
  m.h.nlmsg_seq = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), m.buf, m.h.nlmsg_len, 0, (sockaddr *)&kernel, sizeof kernel) < 0)
    return fail(e, "network", errno, "%s: netlink send", what);
  char buf[8192];
  for (;;) {
    ssize_t r = recv(fd.get(), buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(e, "network", errno, "%s: netlink receive", what);
    for (nlmsghdr *h = (nlmsghdr *)buf; NLMSG_OK(h, (unsigned)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      int err = -((nlmsgerr *)NLMSG_DATA(h))->error;
      if (err == 0 || err == ok_errno) return true;
      return fail(e, "network", err, "%s", what);
    }
  }
}

int link_index(const char *name, Error *e) {
  unsigned idx = if_nametoindex(name);
  if (!idx) fail(e, "network", errno == ENXIO ? ENODEV : errno, "no network interface %s", name);
  return (int)idx;
}

ifinfomsg link_msg(int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  return ifi;
}

bool parse_cidr(const char *cidr, in_addr *addr, int *prefix, Error *e) {
  char ip[32];
  const char *slash = strchr(cidr, '/');
  size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
  if (n >= sizeof ip) return fail(e, "network", EINVAL, "bad address %s", cidr);
  memcpy(ip, cidr, n);
  ip[n] = 0;
  char *end = nullptr;
  long p = slash ? strtol(slash + 1, &end, 10) : 32;
  if (inet_pton(AF_INET, ip, addr) != 1 || (slash && (*end || end == slash + 1)) || p < 0 || p > 32)
    return fail(e, "network", EINVAL, "bad IPv4 address %s (want a.b.c.d/n)", cidr);
  *prefix = (int)p;
  return true;
}

}  // namespace

bool nl_create_bridge(const char *name, Error *e) {
  ifinfomsg ifi = link_msg(0);
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  m.attr_str(IFLA_IFNAME, name);
  size_t info = m.nest_begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "bridge");
  m.nest_end(info);
  char what[64];
  snprintf(what, sizeof what, "create bridge %s", name);
  Error inner{};
  if (talk(m, what, &inner)) return true;
  if (inner.err != EEXIST) return *e = inner, false;
  char path[96];
  struct stat st;
  snprintf(path, sizeof path, "/sys/class/net/%s/bridge", name);
  if (stat(path, &st) == 0) return true;
  return fail(e, "network", EEXIST, "%s exists and is not a bridge", name);
}

// IFLA_LINKINFO of a veth pair: kind, and the peer's own ifinfomsg and attributes.
static void add_veth_peer(Msg &m, const char *peer, unsigned mtu, pid_t netns_pid, const unsigned char *mac) {
  size_t info = m.nest_begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = m.nest_begin(IFLA_INFO_DATA);
  size_t pinfo = m.nest_begin(VETH_INFO_PEER);
  ifinfomsg pifi = link_msg(0);
  size_t at = NLMSG_ALIGN(m.h.nlmsg_len);
  memcpy(m.buf + at, &pifi, sizeof pifi);
  m.h.nlmsg_len = (unsigned)(at + NLMSG_ALIGN(sizeof pifi));
  m.attr_str(IFLA_IFNAME, peer);
  if (mtu) m.attr_u32(IFLA_MTU, mtu);
  if (netns_pid > 0) m.attr_u32(IFLA_NET_NS_PID, (unsigned)netns_pid);
  if (mac) m.attr(IFLA_ADDRESS, mac, 6);
  m.nest_end(pinfo);
  m.nest_end(data);
  m.nest_end(info);
}

bool nl_create_veth(const char *name, const char *peer, unsigned mtu, Error *e) {
  ifinfomsg ifi = link_msg(0);
  Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  m.attr_str(IFLA_IFNAME, name);
  if (mtu) m.attr_u32(IFLA_MTU, mtu);
  add_veth_peer(m, peer, mtu, 0, nullptr);
  char what[96];
  snprintf(what, sizeof what, "create veth pair %s/%s", name, peer);
  return talk(m, what, e);
}

static bool parse_mac(const char *mac, unsigned char out[6], Error *e) {
  unsigned v[6];
  char extra;
  if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
    return fail(e, "network", EINVAL, "bad MAC address %s", mac);
  for (int i = 0; i < 6; i++) out[i] = (unsigned char)v[i];
  return true;
}

bool nl_create_veth_into(const char *host, const char *bridge, const char *peer, const char *mac, pid_t pid, Error *e) {
  unsigned char addr[6];
  if (mac && !parse_mac(mac, addr, e)) return false;
  int bidx = link_index(bridge, e);
  if (bidx <= 0) return false;
  for (int attempt = 0;; attempt++) {
    ifinfomsg ifi = link_msg(0);
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = IFF_UP;
    Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    m.attr_str(IFLA_IFNAME, host);
    m.attr_u32(IFLA_MASTER, (unsigned)bidx);
    add_veth_peer(m, peer, 0, pid, mac ? addr : nullptr);
    char what[96];
    snprintf(what, sizeof what, "create veth %s on %s with %s in the namespace of %d", host, bridge, peer, (int)pid);
    Error err{};
    if (talk(m, what, &err)) return true;
    // Left over from the last run (the kernel removes a pair asynchronously with its namespace).
    if (err.err != EEXIST || attempt > 0) {
      *e = err;
      return false;
    }
    Error ignored{};
    nl_delete_link(host, &ignored);
  }
}

bool nl_set_master(const char *name, const char *master, Error *e) {
  int idx = link_index(name, e), midx = idx > 0 ? link_index(master, e) : 0;
  if (idx <= 0 || midx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  Msg m(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  m.attr_u32(IFLA_MASTER, (unsigned)midx);
  char what[64];
  snprintf(what, sizeof what, "attach %s to %s", name, master);
  return talk(m, what, e);
}

bool nl_set_up(const char *name, bool up, Error *e) {
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  ifi.ifi_change = IFF_UP;
  ifi.ifi_flags = up ? IFF_UP : 0;
  Msg m(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  char what[64];
  snprintf(what, sizeof what, "set %s %s", name, up ? "up" : "down");
  return talk(m, what, e);
}

bool nl_delete_link(const char *name, Error *e) {
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  Msg m(RTM_DELLINK, 0, &ifi, sizeof ifi);
  char what[64];
  snprintf(what, sizeof what, "delete %s", name);
  return talk(m, what, e);
}

bool nl_set_netns_pid(const char *name, pid_t pid, Error *e) {
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  Msg m(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  m.attr_u32(IFLA_NET_NS_PID, (unsigned)pid);
  char what[64];
  snprintf(what, sizeof what, "move %s into the net namespace of %d", name, (int)pid);
  return talk(m, what, e);
}

bool nl_rename(const char *name, const char *new_name, Error *e) {
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  Msg m(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  m.attr_str(IFLA_IFNAME, new_name);
  char what[64];
  snprintf(what, sizeof what, "rename %s to %s", name, new_name);
  return talk(m, what, e);
}

bool nl_set_mac(const char *name, const char *mac, Error *e) {
  unsigned char a[6];
  if (!parse_mac(mac, a, e)) return false;
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifinfomsg ifi = link_msg(idx);
  Msg m(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  m.attr(IFLA_ADDRESS, a, sizeof a);
  char what[64];
  snprintf(what, sizeof what, "set MAC of %s to %s", name, mac);
  return talk(m, what, e);
}

bool nl_add_address(const char *name, const char *cidr, Error *e) {
  in_addr addr;
  int prefix;
  if (!parse_cidr(cidr, &addr, &prefix, e)) return false;
  int idx = link_index(name, e);
  if (idx <= 0) return false;
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = (unsigned char)prefix;
  ifa.ifa_index = (unsigned)idx;
  Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  m.attr(IFA_LOCAL, &addr, sizeof addr);
  m.attr(IFA_ADDRESS, &addr, sizeof addr);
  if (prefix < 31) {
    in_addr brd{addr.s_addr | htonl(prefix ? (0xffffffffu >> prefix) : 0xffffffffu)};
    m.attr(IFA_BROADCAST, &brd, sizeof brd);
  }
  char what[96];
  snprintf(what, sizeof what, "add address %s to %s", cidr, name);
  return talk(m, what, e, EEXIST);
}

bool nl_add_route(const char *dst, const char *gateway, const char *dev, Error *e) {
  in_addr daddr{}, gw{};
  int prefix = 0;
  if (strcmp(dst, "default") != 0 && !parse_cidr(dst, &daddr, &prefix, e)) return false;
  if (gateway && inet_pton(AF_INET, gateway, &gw) != 1) return fail(e, "network", EINVAL, "bad gateway %s", gateway);
  if (!gateway && !dev) return fail(e, "network", EINVAL, "a route needs a gateway or a device");
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = (unsigned char)prefix;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt.rtm_type = RTN_UNICAST;
  Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
  if (prefix) m.attr(RTA_DST, &daddr, sizeof daddr);
  if (gateway) m.attr(RTA_GATEWAY, &gw, sizeof gw);
  if (dev) {
    int idx = link_index(dev, e);
    if (idx <= 0) return false;
    m.attr_u32(RTA_OIF, (unsigned)idx);
  }
  char what[96];
  snprintf(what, sizeof what, "add route %s%s%s", dst, gateway ? " via " : "", gateway ? gateway : "");
  return talk(m, what, e, EEXIST);
}

bool nl_list_routes(void (*cb)(void *ctx, const NlRoute &r), void *ctx, Error *e) {
  Fd fd(open_socket(e));
  if (!fd.ok()) return false;
  struct {
    nlmsghdr h;
    rtmsg rt;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.rt.rtm_family = AF_INET;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &req, req.h.nlmsg_len, 0, (sockaddr *)&kernel, sizeof kernel) < 0)
    return fail(e, "network", errno, "route dump: netlink send");
  static char buf[32768];
  for (;;) {
    ssize_t r = recv(fd.get(), buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(e, "network", errno, "route dump: netlink receive");
    for (nlmsghdr *h = (nlmsghdr *)buf; NLMSG_OK(h, (unsigned)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -((nlmsgerr *)NLMSG_DATA(h))->error;
        if (err) return fail(e, "network", err, "route dump");
        continue;
      }
      if (h->nlmsg_type != RTM_NEWROUTE) continue;
      rtmsg *rt = (rtmsg *)NLMSG_DATA(h);
      if (rt->rtm_family != AF_INET) continue;
      NlRoute route{};
      route.table = rt->rtm_table;
      route.protocol = rt->rtm_protocol;
      route.scope = rt->rtm_scope;
      route.type = rt->rtm_type;
      in_addr dst{};
      int len = (int)RTM_PAYLOAD(h);
      for (rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
          case RTA_DST: memcpy(&dst, RTA_DATA(a), sizeof dst); break;
          case RTA_GATEWAY: inet_ntop(AF_INET, RTA_DATA(a), route.gateway, sizeof route.gateway); break;
          case RTA_PREFSRC: inet_ntop(AF_INET, RTA_DATA(a), route.prefsrc, sizeof route.prefsrc); break;
          case RTA_OIF: if_indextoname(*(unsigned *)RTA_DATA(a), route.dev); break;
          case RTA_PRIORITY: route.metric = *(unsigned *)RTA_DATA(a); break;
          case RTA_TABLE: route.table = *(unsigned *)RTA_DATA(a); break;
        }
      }
      char ip[16];
      inet_ntop(AF_INET, &dst, ip, sizeof ip);
      snprintf(route.destination, sizeof route.destination, "%s/%d", ip, rt->rtm_dst_len);
      cb(ctx, route);
    }
  }
}
