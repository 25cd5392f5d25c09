#include "dns_nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fd.h"

namespace {

// One nfnetlink batch under construction: messages appended back to back, attributes nested by offset.
struct Batch {
  char buf[4096];
  size_t len = 0;
  size_t msg = 0;  // offset of the message being built
  unsigned seq = 0;
  bool overflow = false;

  nlmsghdr *hdr() { return (nlmsghdr *)(buf + msg); }
  void begin(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id) {
    msg = NLMSG_ALIGN(len);
    if (msg + NLMSG_LENGTH(sizeof(nfgenmsg)) > sizeof buf) return void(overflow = true);
    memset(buf + msg, 0, NLMSG_LENGTH(sizeof(nfgenmsg)));
    nlmsghdr *h = hdr();
    h->nlmsg_type = type;
    h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    h->nlmsg_seq = ++seq;
    h->nlmsg_len = NLMSG_LENGTH(sizeof(nfgenmsg));
    nfgenmsg *g = (nfgenmsg *)NLMSG_DATA(h);
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
    g->res_id = htons(res_id);
    len = msg + h->nlmsg_len;
  }
  size_t attr(uint16_t type, const void *data, size_t n) {
    size_t at = NLMSG_ALIGN(len);
    if (at + NLA_ALIGN(NLA_HDRLEN + n) > sizeof buf) {
      overflow = true;
      return at;
    }
    nlattr *a = (nlattr *)(buf + at);
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + n);
    if (n) memcpy(buf + at + NLA_HDRLEN, data, n);
    memset(buf + at + NLA_HDRLEN + n, 0, NLA_ALIGN(n) - n);
    len = at + NLA_ALIGN(NLA_HDRLEN + n);
    hdr()->nlmsg_len = (uint32_t)(len - msg);
    return at;
  }
  void str(uint16_t type, const char *s) { attr(type, s, strlen(s) + 1); }
  void be32(uint16_t type, uint32_t v) {
    v = htonl(v);
    attr(type, &v, sizeof v);
  }
  size_t nest(uint16_t type) { return attr(type | NLA_F_NESTED, nullptr, 0); }
  void end(size_t at) {
    if (!overflow) ((nlattr *)(buf + at))->nla_len = (uint16_t)(len - at);
  }
  void data(uint16_t type, const void *v, size_t n) {
    size_t d = nest(type);
    attr(NFTA_DATA_VALUE, v, n);
    end(d);
  }
};

const char kTable[] = "berth_dns";
const char kChain[] = "output";
const uint16_t kNft = NFNL_SUBSYS_NFTABLES << 8;

size_t expr_begin(Batch &b, const char *name, size_t *data) {
  size_t elem = b.nest(NFTA_LIST_ELEM);
  b.str(NFTA_EXPR_NAME, name);
  *data = b.nest(NFTA_EXPR_DATA);
  return elem;
}
void expr_end(Batch &b, size_t elem, size_t data) {
  b.end(data);
  b.end(elem);
}

void payload(Batch &b, uint32_t base, uint32_t offset, uint32_t len) {
  size_t d, e = expr_begin(b, "payload", &d);
  b.be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
  b.be32(NFTA_PAYLOAD_BASE, base);
  b.be32(NFTA_PAYLOAD_OFFSET, offset);
  b.be32(NFTA_PAYLOAD_LEN, len);
  expr_end(b, e, d);
}

void cmp_eq(Batch &b, const void *v, size_t n) {
  size_t d, e = expr_begin(b, "cmp", &d);
  b.be32(NFTA_CMP_SREG, NFT_REG_1);
  b.be32(NFTA_CMP_OP, NFT_CMP_EQ);
  b.data(NFTA_CMP_DATA, v, n);
  expr_end(b, e, d);
}

// ip daddr 127.0.0.11 <proto> dport 53 dnat to 127.0.0.11:<port>
void dnat_rule(Batch &b, uint8_t proto, uint16_t port) {
  b.begin(kNft | NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, NFPROTO_IPV4, 0);
  b.str(NFTA_RULE_TABLE, kTable);
  b.str(NFTA_RULE_CHAIN, kChain);
  size_t list = b.nest(NFTA_RULE_EXPRESSIONS);
  const uint32_t addr = htonl(0x7f00000b);
  const uint16_t dns = htons(53), to = htons(port);
  payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
  cmp_eq(b, &addr, 4);
  size_t d, e = expr_begin(b, "meta", &d);
  b.be32(NFTA_META_DREG, NFT_REG_1);
  b.be32(NFTA_META_KEY, NFT_META_L4PROTO);
  expr_end(b, e, d);
  cmp_eq(b, &proto, 1);
  payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  cmp_eq(b, &dns, 2);
  e = expr_begin(b, "immediate", &d);
  b.be32(NFTA_IMMEDIATE_DREG, NFT_REG_1);
  b.data(NFTA_IMMEDIATE_DATA, &addr, 4);
  expr_end(b, e, d);
  e = expr_begin(b, "immediate", &d);
  b.be32(NFTA_IMMEDIATE_DREG, NFT_REG_2);
  b.data(NFTA_IMMEDIATE_DATA, &to, 2);
  expr_end(b, e, d);
  e = expr_begin(b, "nat", &d);
  b.be32(NFTA_NAT_TYPE, NFT_NAT_DNAT);
  b.be32(NFTA_NAT_FAMILY, NFPROTO_IPV4);
  b.be32(NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
  b.be32(NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
  expr_end(b, e, d);
  b.end(list);
}

}  // namespace

bool dns_nat_install(uint16_t udp_port, uint16_t tcp_port, Error *e) {
  Batch b;
  b.begin(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  b.begin(kNft | NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4, 0);
  b.str(NFTA_TABLE_NAME, kTable);
  b.begin(kNft | NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4, 0);
  b.str(NFTA_CHAIN_TABLE, kTable);
  b.str(NFTA_CHAIN_NAME, kChain);
  size_t hook = b.nest(NFTA_CHAIN_HOOK);
  b.be32(NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
  b.be32(NFTA_HOOK_PRIORITY, (uint32_t)-100);  // NF_IP_PRI_NAT_DST, as iptables' nat OUTPUT
  b.end(hook);
  b.str(NFTA_CHAIN_TYPE, "nat");
  dnat_rule(b, IPPROTO_UDP, udp_port);
  dnat_rule(b, IPPROTO_TCP, tcp_port);
  const unsigned acks = b.seq - 1;  // every message but the batch markers asks for one
  b.begin(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  if (b.overflow) return fail(e, "dns", ENOBUFS, "nftables batch too large");

  Fd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd.ok()) return fail(e, "dns", errno, "netfilter netlink socket");
  timeval tv{2, 0};  // the kernel answers at once; never hang a container's start on it
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), b.buf, b.len, 0, (sockaddr *)&kernel, sizeof kernel) < 0) return fail(e, "dns", errno, "nftables: send");
  unsigned seen = 0;
  char buf[8192];
  while (seen < acks) {
    ssize_t r = recv(fd.get(), buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(e, "dns", errno, "nftables: receive");
    for (nlmsghdr *h = (nlmsghdr *)buf; NLMSG_OK(h, (unsigned)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      int err = -((nlmsgerr *)NLMSG_DATA(h))->error;
      if (err) return fail(e, "dns", err, "nftables: the DNAT of 127.0.0.11:53 (message %u)", h->nlmsg_seq);
      seen++;
    }
  }
  return true;
}
