// Pseudo-terminals: the container allocates its pty from its own devpts instance and hands the
// master to the shim over a unix socket, so the shim (not the container) owns the master.
#pragma once

#include "error.h"

// In the container: opens /dev/ptmx, sends the master over sock, makes the slave the controlling
// terminal and stdin/stdout/stderr of the calling process. rows/cols > 0 set the initial size.
bool terminal_setup_in_container(int sock, int rows, int cols, Error *e);

// In the shim: receives the master. Returns -1 (without an error) when the peer closed the socket.
int terminal_receive_master(int sock, Error *e);
