// Small filesystem helpers shared by the shim's subsystems and the addon (mkdir -p, write_all, fd passing).
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

bool mkdir_all(const char *path, mode_t mode, Error *e);
// Writes data to path.tmp then renames it over path, so readers never see half a file.
bool write_file_atomic(const char *path, const char *data, size_t len, Error *e);
// Writes all of buf, retrying on EINTR and short writes.
bool write_all(int fd, const void *buf, size_t len);

// Passes one fd over a unix socket (SCM_RIGHTS), with one byte of payload.
bool send_fd(int sock, int fd, const char *stage, const char *what, Error *e);
// Returns the fd, or -1. e is filled on an error; a socket closed before any message (the peer exited
// first and reports why itself) leaves e empty.
int receive_fd(int sock, const char *stage, const char *what, Error *e);
