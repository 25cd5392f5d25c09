// A container's network on Berth's bridge: the server creates the veth pair and plugs the host end
// into the bridge; the shim moves the peer into the container's new net namespace and the container
// configures it. No default route unless `routes` asks for one (outbound access is off by default).
#pragma once

#include <sys/types.h>

#include "config.h"
#include "error.h"

// In the shim, before the container is released: moves network.veth.peer into init's net namespace.
bool network_move_peer(const ShimConfig &c, pid_t init, Error *e);

// In the container, inside its new net namespace: brings lo up, renames the peer, sets its MAC and
// address, brings it up and installs `routes`.
bool network_setup_in_container(const ShimConfig &c, Error *e);
