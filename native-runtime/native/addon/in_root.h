// Path walks inside a container's root (or a volume) that cannot leave it, whatever the container does
// meanwhile (CVE-2018-15664: swapping a directory and a symlink between a check and a use). Every
// lookup is one openat2(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the kernel resolves
// "..", absolute symlinks and mount crossings as if rootfd were "/", so no string path of the host is
// ever built from a container's names.
#pragma once

#include <sys/types.h>

#include <string>

namespace berth {

// openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS [| extra]); -1 and errno on error.
int OpenInRoot(int rootfd, const std::string &path, int flags, unsigned long long extraResolve = 0);

// Docker's FollowSymlinkInScope with fds: resolves path inside rootfd (symlinks followed, read through
// fds; followLast = false leaves a final symlink alone) into *inner, the container path ("/a/b").
// Missing components are taken literally (*missing = true, *fd = -1); otherwise *fd is an O_PATH fd of
// the result (the caller closes it). Returns 0 or an errno.
int ResolveInRoot(int rootfd, const std::string &path, bool followLast, std::string *inner, int *fd, bool *missing);

// Opens a root given as a host path ("/proc/<pid>/root", an overlay mount, a volume's _data) as an
// O_PATH directory fd; -1 and errno on error.
int OpenRoot(const std::string &hostPath);

}  // namespace berth
