#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "layer_workers.h"
#include "result.h"

namespace berth {

Napi::Value Ok(Napi::Env env, Napi::Value value) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", true);
  r.Set("value", value);
  return r;
}

Napi::Value OkNull(Napi::Env env) { return Ok(env, env.Null()); }

Napi::Value Err(Napi::Env env, int err, const std::string &message) {
  Napi::Object error = Napi::Object::New(env);
  error.Set("errno", err);
  error.Set("message", message);
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", false);
  r.Set("error", error);
  return r;
}

Napi::Value Err(Napi::Env env, const Error &e) { return Err(env, e.err ? e.err : EINVAL, e.message); }

Napi::Value SysErr(Napi::Env env, int err, const std::string &what) {
  return Err(env, err, what + ": " + strerror(err));
}

bool ArgString(const Napi::CallbackInfo &info, size_t i, const char *name, std::string *out, Napi::Value *error) {
  if (info.Length() <= i || !info[i].IsString()) {
    *error = Err(info.Env(), EINVAL, std::string(name) + " must be a string");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    *error = Err(info.Env(), EINVAL, std::string(name) + " contains a NUL byte");
    return false;
  }
  return true;
}

bool ArgInt(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t *out, Napi::Value *error) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    *error = Err(info.Env(), EINVAL, std::string(name) + " must be a number");
    return false;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != (double)(int64_t)d) {
    *error = Err(info.Env(), EINVAL, std::string(name) + " must be an integer");
    return false;
  }
  *out = (int64_t)d;
  return true;
}

// berth-shim is built into the same directory as this addon.
static Napi::Value ShimPath(const Napi::CallbackInfo &info) {
  Dl_info dl;
  std::string dir = ".";
  if (dladdr((void *)&ShimPath, &dl) && dl.dli_fname) {
    dir = dl.dli_fname;
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "." : dir.substr(0, slash);
  }
  return Napi::String::New(info.Env(), dir + "/berth-shim");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitLock(env, exports);
  InitMount(env, exports);
  InitFs(env, exports);
  InitNet(env, exports);
  InitLayerTar(env, exports);
  InitSpawn(env, exports);
  InitInRoot(env, exports);
  InitBtrfs(env, exports);
  InitTreeDiff(env, exports);
  InitDeviceFilter(env, exports);
  exports.Set("shimPath", Napi::Function::New(env, ShimPath, "shimPath"));
  return exports;
}

}  // namespace berth

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return berth::Init(env, exports); }

NODE_API_MODULE(berth_native, InitModule)
