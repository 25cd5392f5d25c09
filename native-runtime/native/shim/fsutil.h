// Small filesystem helpers shared by the shim's subsystems.
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

bool mkdir_all(const char *path, mode_t mode, Error *e);
// Writes data to path.tmp then renames it over path, so readers never see half a file.
bool write_file_atomic(const char *path, const char *data, size_t len, Error *e);
// Writes all of buf, retrying on EINTR and short writes.
bool write_all(int fd, const void *buf, size_t len);
