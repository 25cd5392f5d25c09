#include "network.h"

#include <string.h>

#include "netlink.h"

bool network_move_peer(const ShimConfig &c, pid_t init, Error *e) {
  const NetworkSpec &n = c.network;
  if (!n.veth_peer) return true;
  if (n.veth_host) return nl_create_veth_into(n.veth_host, n.bridge, n.veth_name, n.mac, init, e);
  return nl_set_netns_pid(n.veth_peer, init, e);
}

bool network_setup_in_container(const ShimConfig &c, Error *e) {
  if (strcmp(c.net, "new") != 0) return true;
  // A new namespace starts with lo down; services bound to 127.0.0.1 (and the port proxy) need it.
  if (!nl_set_up("lo", true, e)) return false;
  const NetworkSpec &n = c.network;
  if (n.veth_peer) {
    // A pair the shim created arrives named and with its MAC (network_move_peer).
    if (!n.veth_host && strcmp(n.veth_peer, n.veth_name) != 0 && !nl_rename(n.veth_peer, n.veth_name, e)) return false;
    if (!n.veth_host && n.mac && !nl_set_mac(n.veth_name, n.mac, e)) return false;
    if (!nl_set_up(n.veth_name, true, e)) return false;
    if (n.address && !nl_add_address(n.veth_name, n.address, e)) return false;
  }
  for (int i = 0; i < n.nroutes; i++)
    if (!nl_add_route(n.routes[i].destination, n.routes[i].gateway, n.veth_peer ? n.veth_name : nullptr, e)) return false;
  return true;
}
