// The embedded DNS server listens on 127.0.0.11 at high ports and the container's own namespace DNATs
// 127.0.0.11:53 to them (UDP and TCP), as dockerd's resolver does (libnetwork resolver_unix.go, there with
// iptables): port 53 stays free for a DNS server of the container's own. Written as one nftables batch
// over netlink (table ip berth_dns, chain output: type nat hook output priority -100), no iptables exec.
#pragma once

#include <stdint.h>

#include "error.h"

// Call from inside the container's net namespace. Ports in host order.
bool dns_nat_install(uint16_t udp_port, uint16_t tcp_port, Error *e);
