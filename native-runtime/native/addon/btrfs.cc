// btrfs subvolumes by ioctl, as moby's btrfs graphdriver and containerd's btrfs snapshotter do it, instead
// of one fork of the btrfs CLI per prepare, commit and remove (issue #20). Nothing here syncs or waits for
// a transaction: a snapshot is made in the running transaction, and a deleted subvolume is cleaned by
// the kernel in the background. Each call runs on the libuv pool (a snapshot flushes the source's dirty
// data first) and resolves a NativeResult, never rejecting.
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "result.h"

namespace berth {

namespace {

struct OpErr {
  int err = 0;
  std::string what;
};

bool Fail(OpErr *e, const std::string &what) {
  e->err = errno;
  e->what = what;
  return false;
}

// Splits /a/b/name into an O_DIRECTORY fd of /a/b (*parent, the caller closes it) and "name".
bool OpenParent(const std::string &path, int *parent, std::string *name, OpErr *e) {
  size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == std::string::npos || slash + 1 >= path.size()) {
    errno = EINVAL;
    return Fail(e, path + ": an absolute path to a subvolume is needed");
  }
  *name = path.substr(slash + 1);
  if (*name == "." || *name == ".." || name->size() > BTRFS_SUBVOL_NAME_MAX) {
    errno = EINVAL;
    return Fail(e, path + ": not a valid subvolume name");
  }
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  *parent = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*parent < 0) return Fail(e, "open " + dir);
  return true;
}

bool SubvolCreate(const std::string &path, OpErr *e) {
  int pfd;
  std::string name;
  if (!OpenParent(path, &pfd, &name, e)) return false;
  Fd parent(pfd);
  btrfs_ioctl_vol_args args{};
  memcpy(args.name, name.c_str(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SUBVOL_CREATE, &args) < 0) return Fail(e, "create subvolume " + path);
  return true;
}

bool Snapshot(const std::string &src, const std::string &dst, bool readonly, OpErr *e) {
  Fd source(open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!source.ok()) return Fail(e, "open " + src);
  int pfd;
  std::string name;
  if (!OpenParent(dst, &pfd, &name, e)) return false;
  Fd parent(pfd);
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = source.get();
  args.flags = readonly ? BTRFS_SUBVOL_RDONLY : 0;
  memcpy(args.name, name.c_str(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) < 0) return Fail(e, "snapshot " + src + " to " + dst);
  return true;
}

bool SetReadonly(const std::string &path, bool readonly, OpErr *e) {
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return Fail(e, "open " + path);
  __u64 flags = 0;
  if (ioctl(fd.get(), BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0) return Fail(e, "get the flags of subvolume " + path);
  __u64 want = readonly ? (flags | BTRFS_SUBVOL_RDONLY) : (flags & ~(__u64)BTRFS_SUBVOL_RDONLY);
  if (want != flags && ioctl(fd.get(), BTRFS_IOC_SUBVOL_SETFLAGS, &want) < 0) return Fail(e, "set the flags of subvolume " + path);
  return true;
}

// The kernel unlinks it at once and frees its extents in the background (no transaction commit waited on).
bool SubvolDelete(const std::string &path, OpErr *e) {
  int pfd;
  std::string name;
  if (!OpenParent(path, &pfd, &name, e)) return false;
  Fd parent(pfd);
  btrfs_ioctl_vol_args args{};
  memcpy(args.name, name.c_str(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SNAP_DESTROY, &args) < 0) return Fail(e, "delete subvolume " + path);
  return true;
}

// Whether path is the root of a subvolume: btrfs gives every subvolume root inode 256.
bool IsSubvolume(const std::string &path, bool *is, OpErr *e) {
  struct stat st;
  if (lstat(path.c_str(), &st) < 0) return Fail(e, "stat " + path);
  *is = S_ISDIR(st.st_mode) && st.st_ino == 256;
  return true;
}

class BtrfsWorker : public Napi::AsyncWorker {
 public:
  BtrfsWorker(Napi::Env env, std::function<bool(OpErr *, bool *)> op)
      : Napi::AsyncWorker(env, "berth:btrfs"), op_(std::move(op)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = op_(&err_, &flag_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (ok_) deferred_.Resolve(Ok(env, Napi::Boolean::New(env, flag_)));
    else deferred_.Resolve(SysErr(env, err_.err, err_.what));
  }

 private:
  std::function<bool(OpErr *, bool *)> op_;
  Napi::Promise::Deferred deferred_;
  OpErr err_;
  bool ok_ = false;
  bool flag_ = false;
};

Napi::Value Queue(Napi::Env env, std::function<bool(OpErr *, bool *)> op) {
  auto *w = new BtrfsWorker(env, std::move(op));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value ResolvedWith(Napi::Env env, const Napi::Value &error) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(error);
  return d.Promise();
}

Napi::Value SubvolCreateCall(const Napi::CallbackInfo &info) {
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return ResolvedWith(info.Env(), error);
  return Queue(info.Env(), [path](OpErr *e, bool *) { return SubvolCreate(path, e); });
}

Napi::Value SnapshotCall(const Napi::CallbackInfo &info) {
  Napi::Value error;
  std::string src, dst;
  if (!ArgString(info, 0, "src", &src, &error) || !ArgString(info, 1, "dst", &dst, &error)) return ResolvedWith(info.Env(), error);
  bool readonly = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  return Queue(info.Env(), [src, dst, readonly](OpErr *e, bool *) { return Snapshot(src, dst, readonly, e); });
}

Napi::Value SetReadonlyCall(const Napi::CallbackInfo &info) {
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return ResolvedWith(info.Env(), error);
  if (info.Length() < 2 || !info[1].IsBoolean()) return ResolvedWith(info.Env(), Err(info.Env(), EINVAL, "readonly must be a boolean"));
  bool readonly = info[1].As<Napi::Boolean>().Value();
  return Queue(info.Env(), [path, readonly](OpErr *e, bool *) { return SetReadonly(path, readonly, e); });
}

Napi::Value SubvolDeleteCall(const Napi::CallbackInfo &info) {
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return ResolvedWith(info.Env(), error);
  return Queue(info.Env(), [path](OpErr *e, bool *) { return SubvolDelete(path, e); });
}

// Resolves true when path is a subvolume root (a plain directory resolves false).
Napi::Value IsSubvolumeCall(const Napi::CallbackInfo &info) {
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return error;
  OpErr e;
  bool is = false;
  if (!IsSubvolume(path, &is, &e)) return SysErr(info.Env(), e.err, e.what);
  return Ok(info.Env(), Napi::Boolean::New(info.Env(), is));
}

}  // namespace

void InitBtrfs(Napi::Env env, Napi::Object exports) {
  exports.Set("btrfsSubvolCreate", Napi::Function::New(env, SubvolCreateCall, "btrfsSubvolCreate"));
  exports.Set("btrfsSnapshot", Napi::Function::New(env, SnapshotCall, "btrfsSnapshot"));
  exports.Set("btrfsSetReadonly", Napi::Function::New(env, SetReadonlyCall, "btrfsSetReadonly"));
  exports.Set("btrfsSubvolDelete", Napi::Function::New(env, SubvolDeleteCall, "btrfsSubvolDelete"));
  exports.Set("btrfsIsSubvolume", Napi::Function::New(env, IsSubvolumeCall, "btrfsIsSubvolume"));
}

}  // namespace berth
