// rtnetlink requests, shared by the addon (bridges, veth pairs, routes) and the shim (moving and
// configuring a container's interface). Each call is one request answered by one ACK; plain C types
// and Error values so both sides can use it. IPv4 addresses and routes only.
#pragma once

#include <net/if.h>
#include <sys/types.h>

#include "error.h"

// Creates a bridge; an existing bridge of that name is fine (idempotent), any other link is EEXIST.
bool nl_create_bridge(const char *name, Error *e);
// Creates a veth pair; mtu 0 keeps the default.
bool nl_create_veth(const char *name, const char *peer, unsigned mtu, Error *e);
bool nl_set_master(const char *name, const char *master, Error *e);
bool nl_set_up(const char *name, bool up, Error *e);
bool nl_delete_link(const char *name, Error *e);
// Moves a link into the net namespace of pid.
bool nl_set_netns_pid(const char *name, pid_t pid, Error *e);
// A veth pair whose host end is up on bridge and whose peer is created directly in the net namespace of
// pid, named peer, with mac (may be null). A leftover host end of that name is replaced once.
bool nl_create_veth_into(const char *host, const char *bridge, const char *peer, const char *mac, pid_t pid, Error *e);
bool nl_rename(const char *name, const char *new_name, Error *e);
bool nl_set_mac(const char *name, const char *mac, Error *e);
// "10.0.0.2/24"; the address already being there is fine.
bool nl_add_address(const char *name, const char *cidr, Error *e);
// dst "10.1.0.0/16" (or "default"), gateway may be null, dev may be null when gateway is given.
bool nl_add_route(const char *dst, const char *gateway, const char *dev, Error *e);

struct NlRoute {
  char destination[20];  // "10.0.0.0/24", "0.0.0.0/0" for default
  char gateway[16];      // "" when on-link
  char prefsrc[16];
  char dev[IF_NAMESIZE];
  unsigned table;
  unsigned protocol;
  unsigned scope;
  unsigned metric;
  unsigned type;
};
// Dumps the IPv4 routes of every table; cb is called once per route.
bool nl_list_routes(void (*cb)(void *ctx, const NlRoute &r), void *ctx, Error *e);
