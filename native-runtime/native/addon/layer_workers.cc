#include "layer_workers.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dir_chain.h"
#include "disk_usage.h"
#include "fd.h"
#include "in_root.h"
#include "layer_apply.h"
#include "layer_diff.h"
#include "layer_error.h"
#include "result.h"
#include "tar_reader.h"
#include "thread_ids.h"

namespace berth {

namespace {

Napi::Value ErrValue(Napi::Env env, const LayerErr &e) {
  Napi::Object error = Napi::Object::New(env);
  error.Set("errno", e.err);
  error.Set("message", e.message);
  if (!e.code.empty()) error.Set("code", e.code);
  if (e.hasEntry) error.Set("entry", e.entry);
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", false);
  r.Set("error", error);
  return r;
}

struct ApplyState {
  Fd root;
  std::unique_ptr<Applier> applier;
  TarReader reader;
  std::atomic<bool> busy{false};
  bool failed = false, finished = false;
  bool wantNames = false;
  ~ApplyState() { applier.reset(); }  // before root: the applier works relative to it
};

struct DiffState {
  std::unique_ptr<Differ> differ{new Differ()};
  std::atomic<bool> busy{false};
  bool failed = false;
};

template <typename State>
State *Handle(const Napi::Value &v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<State>>().Data();
}

// A promise already settled with a value.
Napi::Value Resolved(Napi::Env env, Napi::Value value) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(value);
  return d.Promise();
}

Napi::Value ResolvedErr(Napi::Env env, int err, const std::string &message) {
  LayerErr e;
  e.err = err;
  e.message = message;
  return Resolved(env, ErrValue(env, e));
}

class ApplyWorker : public Napi::AsyncWorker {
 public:
  ApplyWorker(Napi::Env env, ApplyState *st, Napi::Value handle, Napi::Value buffers, bool finish)
      : Napi::AsyncWorker(env, "berth:layerApply"), st_(st), finish_(finish), deferred_(Napi::Promise::Deferred::New(env)) {
    Napi::Object keep = Napi::Object::New(env);
    keep.Set("h", handle);
    if (!finish) {
      keep.Set("b", buffers);
      Napi::Array arr = buffers.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Buffer<char> b = arr.Get(i).As<Napi::Buffer<char>>();
        chunks_.emplace_back(b.Data(), b.Length());
      }
    }
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (st_->wantNames) st_->applier->names = &names_;
    bool ok = true;
    for (auto &c : chunks_) {
      if (!(ok = st_->reader.Feed(c.first, c.second, st_->applier.get(), &err_))) break;
    }
    if (ok && finish_) ok = st_->reader.Finish(&err_) && st_->applier->Finish(&usage_, &err_);
    st_->applier->names = nullptr;
    ok_ = ok;
  }

  void OnOK() override {
    Napi::Env env = Env();
    st_->busy = false;
    if (!ok_) {
      st_->failed = true;
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    if (finish_) {
      st_->finished = true;
      v.Set("size", (double)usage_.size);
      v.Set("inodes", (double)usage_.inodes);
    } else {
      Napi::Array names = Napi::Array::New(env, names_.size());
      for (size_t i = 0; i < names_.size(); i++) names.Set((uint32_t)i, names_[i]);
      v.Set("entries", names);
    }
    deferred_.Resolve(Ok(env, v));
  }

  // Only reached if Execute called SetError, which it never does; kept so the promise always settles.
  void OnError(const Napi::Error &e) override {
    st_->busy = false;
    st_->failed = true;
    LayerErr le;
    le.err = EIO;
    le.message = e.Message();
    deferred_.Resolve(ErrValue(Env(), le));
  }

 private:
  ApplyState *st_;
  bool finish_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  std::vector<std::pair<const char *, size_t>> chunks_;
  std::vector<std::string> names_;
  LayerErr err_;
  Usage usage_;
  bool ok_ = false;
};

Napi::Value LayerApplierOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string dest;
  if (!ArgString(info, 0, "destDir", &dest, &error)) return error;
  bool sameOwner = false, wantNames = false, plain = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    sameOwner = o.Get("sameOwner").ToBoolean().Value();
    wantNames = o.Get("entryNames").ToBoolean().Value();
    plain = o.Get("plain").ToBoolean().Value();
  }
  Fd fd(open(dest.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return SysErr(env, errno, "open " + dest);
  auto *st = new ApplyState();
  st->applier.reset(new Applier(fd.get(), dest, sameOwner));
  st->root = std::move(fd);
  st->applier->plain = plain;
  st->wantNames = wantNames;
  return Ok(env, Napi::External<ApplyState>::New(env, st, [](Napi::Env, ApplyState *s) { delete s; }));
}

Napi::Value ApplierCall(const Napi::CallbackInfo &info, bool finish) {
  Napi::Env env = info.Env();
  ApplyState *st = info.Length() > 0 ? Handle<ApplyState>(info[0]) : nullptr;
  if (!st || !st->applier) return ResolvedErr(env, EINVAL, "not a layer applier handle");
  if (!finish) {
    if (info.Length() < 2 || !info[1].IsArray()) return ResolvedErr(env, EINVAL, "chunks must be an array of Buffers");
    Napi::Array arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++)
      if (!arr.Get(i).IsBuffer()) return ResolvedErr(env, EINVAL, "chunks must be an array of Buffers");
  }
  if (st->failed || st->finished) return ResolvedErr(env, EINVAL, "the layer applier is done");
  bool expected = false;
  if (!st->busy.compare_exchange_strong(expected, true)) return ResolvedErr(env, EBUSY, "the layer applier is busy");
  auto *w = new ApplyWorker(env, st, info[0], finish ? env.Undefined() : info[1], finish);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LayerApplierWrite(const Napi::CallbackInfo &info) { return ApplierCall(info, false); }
Napi::Value LayerApplierFinish(const Napi::CallbackInfo &info) { return ApplierCall(info, true); }

// Closes the fds at once (the External's finalizer would, later). Not while a call runs.
Napi::Value LayerApplierClose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ApplyState *st = info.Length() > 0 ? Handle<ApplyState>(info[0]) : nullptr;
  if (!st) return Err(env, EINVAL, "not a layer applier handle");
  if (st->busy) return Err(env, EBUSY, "the layer applier is busy");
  st->applier.reset();
  st->root.reset();
  return OkNull(env);
}

class DiffWorker : public Napi::AsyncWorker {
 public:
  DiffWorker(Napi::Env env, DiffState *st, Napi::Value handle, Napi::Buffer<char> buf)
      : Napi::AsyncWorker(env, "berth:layerDiff"), st_(st), deferred_(Napi::Promise::Deferred::New(env)), dst_(buf.Data()), cap_(buf.Length()) {
    Napi::Object keep = Napi::Object::New(env);
    keep.Set("h", handle);
    keep.Set("b", buf);
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = st_->differ->Read(dst_, cap_, &n_, &skipped_, &err_); }
  void OnOK() override {
    Napi::Env env = Env();
    st_->busy = false;
    if (!ok_) {
      st_->failed = true;
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("bytes", (double)n_);
    Napi::Array skipped = Napi::Array::New(env, skipped_.size());
    for (size_t i = 0; i < skipped_.size(); i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, skipped_[i].first);
      pair.Set(1u, skipped_[i].second);
      skipped.Set((uint32_t)i, pair);
    }
    v.Set("skipped", skipped);
    deferred_.Resolve(Ok(env, v));
  }
  void OnError(const Napi::Error &e) override {
    st_->busy = false;
    st_->failed = true;
    LayerErr le;
    le.err = EIO;
    le.message = e.Message();
    deferred_.Resolve(ErrValue(Env(), le));
  }

 private:
  DiffState *st_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  char *dst_;
  size_t cap_;
  size_t n_ = 0;
  std::vector<std::pair<std::string, std::string>> skipped_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value LayerDifferOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string dir;
  if (!ArgString(info, 0, "dir", &dir, &error)) return error;
  auto *st = new DiffState();
  LayerErr err;
  if (!st->differ->Open(dir, &err)) {
    delete st;
    return ErrValue(env, err);
  }
  return Ok(env, Napi::External<DiffState>::New(env, st, [](Napi::Env, DiffState *s) { delete s; }));
}

// containerTarOpen(root, path, {followLast, name, skipDevs}): a differ handle (read with
// layerDifferRead) producing docker cp's tar of path inside root.
Napi::Value ContainerTarOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, path;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "path", &path, &error)) return error;
  if (info.Length() < 3 || !info[2].IsObject()) return Err(env, EINVAL, "options must be an object");
  Napi::Object o = info[2].As<Napi::Object>();
  bool followLast = o.Get("followLast").ToBoolean().Value();
  if (!o.Get("name").IsString()) return Err(env, EINVAL, "name must be a string");
  std::string name = o.Get("name").As<Napi::String>().Utf8Value();
  std::unordered_set<uint64_t> skip;
  if (o.Get("skipDevs").IsArray()) {
    Napi::Array a = o.Get("skipDevs").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      if (a.Get(i).IsNumber()) skip.insert((uint64_t)a.Get(i).As<Napi::Number>().Int64Value());
  }
  auto *st = new DiffState();
  LayerErr err;
  if (!st->differ->OpenCopy(root, path, followLast, name, std::move(skip), &err)) {
    delete st;
    return ErrValue(env, err);
  }
  return Ok(env, Napi::External<DiffState>::New(env, st, [](Napi::Env, DiffState *s) { delete s; }));
}

// docker cp into a container: the spooled tar is checked whole (CopyChecker), then extracted under the
// destination, resolved inside the container's root. All on the pool.
class CopyWorker : public Napi::AsyncWorker {
 public:
  CopyWorker(Napi::Env env, std::string root, std::string dest, std::string spool, bool noOverwrite, int64_t fsuid = -1, int64_t fsgid = -1)
      : Napi::AsyncWorker(env, "berth:containerPut"),
        fsuid_(fsuid),
        fsgid_(fsgid),
        root_(std::move(root)),
        dest_(std::move(dest)),
        spool_(std::move(spool)),
        noOverwrite_(noOverwrite),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    ThreadFsIds ids(fsuid_, fsgid_);  // user namespace: write as the container's root (thread_ids.h)
    ok_ = Run();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("inner", inner_);
    deferred_.Resolve(Ok(env, v));
  }

 private:
  bool Feed(int fd, TarSink *sink) {
    if (lseek(fd, 0, SEEK_SET) < 0) return Sys(&err_, errno, "seek " + spool_);
    TarReader reader;
    std::vector<char> buf(1 << 20);
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Sys(&err_, errno, "read " + spool_);
      if (n == 0) break;
      if (!reader.Feed(buf.data(), (size_t)n, sink, &err_)) return false;
    }
    return reader.Finish(&err_);
  }

  bool Run() {
    Fd spool(open(spool_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!spool.ok()) return Sys(&err_, errno, "open " + spool_);
    Fd rfd(OpenRoot(root_));
    if (!rfd.ok()) return Sys(&err_, errno, "open " + root_);
    int dfd;
    bool missing;
    int e = ResolveInRoot(rfd.get(), dest_, true, &inner_, &dfd, &missing);
    if (e) return Sys(&err_, e, "resolve " + dest_);
    if (missing) return Refuse(&err_, "NOT_FOUND", "no such directory " + dest_, dest_);
    Fd dest(dfd);
    struct stat st;
    if (fstat(dest.get(), &st) < 0) return Sys(&err_, errno, "stat " + inner_);
    if (!S_ISDIR(st.st_mode)) return Refuse(&err_, "NOT_DIR", "extraction point is not a directory", dest_);
    size_t depth = 0;
    for (char c : inner_) depth += c == '/';
    if (inner_ == "/") depth = 0;
    CopyChecker checker(depth);
    if (!Feed(spool.get(), &checker)) {
      if (!err_.code.empty()) err_.message += "; nothing was written";
      return false;
    }
    CopyOptions copy;
    copy.in.root = rfd.get();
    copy.in.destInner = inner_;
    copy.noOverwriteDirNonDir = noOverwrite_;
    Applier applier(dest.get(), copy);
    Usage unused;
    return Feed(spool.get(), &applier) && applier.Finish(&unused, &err_);
  }

  int64_t fsuid_, fsgid_;
  std::string root_, dest_, spool_, inner_;
  bool noOverwrite_;
  Napi::Promise::Deferred deferred_;
  LayerErr err_;
  bool ok_ = false;
};

// containerPut(root, dest, spoolPath, {noOverwriteDirNonDir}) → {inner}: the resolved destination.
Napi::Value ContainerPut(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, dest, spool;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "dest", &dest, &error) || !ArgString(info, 2, "spool", &spool, &error))
    return Resolved(env, error);
  bool noOverwrite = info.Length() > 3 && info[3].IsObject() && info[3].As<Napi::Object>().Get("noOverwriteDirNonDir").ToBoolean().Value();
  int64_t fsuid = -1, fsgid = -1;  // {fsuid, fsgid}: the mapped root of a user namespace
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object o = info[3].As<Napi::Object>();
    if (o.Get("fsuid").IsNumber() && o.Get("fsgid").IsNumber()) {
      fsuid = o.Get("fsuid").As<Napi::Number>().Int64Value();
      fsgid = o.Get("fsgid").As<Napi::Number>().Int64Value();
    }
  }
  auto *w = new CopyWorker(env, root, dest, spool, noOverwrite, fsuid, fsgid);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// removeTree(path): rm -rf that never follows a symlink, even one swapped in while it runs (every
// step is relative to an fd opened O_NOFOLLOW). A missing path is fine.
class RemoveWorker : public Napi::AsyncWorker {
 public:
  RemoveWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:removeTree"), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = RemoveTree(AT_FDCWD, path_.c_str(), path_, &err_); }
  void OnOK() override { deferred_.Resolve(ok_ ? OkNull(Env()) : ErrValue(Env(), err_)); }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value RemoveTreeCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return Resolved(env, error);
  if (path.empty() || path[0] != '/') return ResolvedErr(env, EINVAL, "removeTree needs an absolute path");
  auto *w = new RemoveWorker(env, path);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LayerDifferRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  DiffState *st = info.Length() > 0 ? Handle<DiffState>(info[0]) : nullptr;
  if (!st || !st->differ) return ResolvedErr(env, EINVAL, "not a layer differ handle");
  if (info.Length() < 2 || !info[1].IsBuffer() || info[1].As<Napi::Buffer<char>>().Length() < kBlock)
    return ResolvedErr(env, EINVAL, "buffer must be a Buffer of at least 512 bytes");
  if (st->failed) return ResolvedErr(env, EINVAL, "the layer differ failed earlier");
  bool expected = false;
  if (!st->busy.compare_exchange_strong(expected, true)) return ResolvedErr(env, EBUSY, "the layer differ is busy");
  auto *w = new DiffWorker(env, st, info[0], info[1].As<Napi::Buffer<char>>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// Closes the walk's fds at once (the External's finalizer would, later). Not while a read runs.
Napi::Value LayerDifferClose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  DiffState *st = info.Length() > 0 ? Handle<DiffState>(info[0]) : nullptr;
  if (!st) return Err(env, EINVAL, "not a layer differ handle");
  if (st->busy) return Err(env, EBUSY, "the layer differ is busy");
  st->differ.reset();
  return OkNull(env);
}

class UsageWorker : public Napi::AsyncWorker {
 public:
  UsageWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:diskUsage"), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = DiskUsage(path_, &usage_, &err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(ErrValue(env, err_));
      return;
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("size", (double)usage_.size);
    v.Set("inodes", (double)usage_.inodes);
    deferred_.Resolve(Ok(env, v));
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  Usage usage_;
  LayerErr err_;
  bool ok_ = false;
};

Napi::Value DiskUsageCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return Resolved(env, error);
  auto *w = new UsageWorker(env, path);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitLayerTar(Napi::Env env, Napi::Object exports) {
  exports.Set("layerApplierOpen", Napi::Function::New(env, LayerApplierOpen, "layerApplierOpen"));
  exports.Set("layerApplierWrite", Napi::Function::New(env, LayerApplierWrite, "layerApplierWrite"));
  exports.Set("layerApplierFinish", Napi::Function::New(env, LayerApplierFinish, "layerApplierFinish"));
  exports.Set("layerApplierClose", Napi::Function::New(env, LayerApplierClose, "layerApplierClose"));
  exports.Set("layerDifferOpen", Napi::Function::New(env, LayerDifferOpen, "layerDifferOpen"));
  exports.Set("layerDifferRead", Napi::Function::New(env, LayerDifferRead, "layerDifferRead"));
  exports.Set("layerDifferClose", Napi::Function::New(env, LayerDifferClose, "layerDifferClose"));
  exports.Set("diskUsage", Napi::Function::New(env, DiskUsageCall, "diskUsage"));
  exports.Set("containerTarOpen", Napi::Function::New(env, ContainerTarOpen, "containerTarOpen"));
  exports.Set("containerPut", Napi::Function::New(env, ContainerPut, "containerPut"));
  exports.Set("removeTree", Napi::Function::New(env, RemoveTreeCall, "removeTree"));
}

}  // namespace berth
