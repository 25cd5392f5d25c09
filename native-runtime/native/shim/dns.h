// The embedded DNS server of a container on a user-defined network, at 127.0.0.11:53 (UDP and TCP)
// inside its net namespace, as dockerd's (docs/runtime.md, "Names and the embedded DNS server"). It lives
// in the shim, so it keeps answering while the server restarts. shim.json:
//
//   "dns": {"tables": "<file listing the name tables of the container's networks>",
//           "forward": ["<ipv4>[:port]", …]}     // upstreams; only with outbound access
//
// Names in the tables get A records (and PTR for their addresses); a known name has no AAAA (an empty
// answer). Anything else is forwarded from the host's namespace when there are upstreams (UDP queries
// over UDP, TCP queries over TCP), else answered SERVFAIL at once, as dockerd does when it has nowhere to
// forward. A UDP answer from the tables is at most 512 bytes, or the size a query's EDNS0 OPT record
// advertises (then the answer carries an OPT record too); one that does not fit is cut and has TC set, so
// the client asks again over TCP. Forwarded answers are relayed verbatim, with the upstream's OPT record.
#pragma once

#include <sys/types.h>

#include "error.h"
#include "event_loop.h"

// No-op (true) when shim.json has no "dns" or net is not "new". Binds before the container's process runs.
bool dns_start(const char *shim_json, const char *net, pid_t init, EventLoop *loop, Error *e);
void dns_stop();
