// Every addon call returns a NativeResult value ({ok:true,value} | {ok:false,error:{errno,message}}),
// never throws: see src/native/types.ts.
#pragma once

#include <napi.h>

#include <string>

namespace berth {

Napi::Value Ok(Napi::Env env, Napi::Value value);
Napi::Value OkNull(Napi::Env env);
Napi::Value Err(Napi::Env env, int err, const std::string &message);
// Err with strerror(err) appended to what.
Napi::Value SysErr(Napi::Env env, int err, const std::string &what);

// Argument checks; on mismatch they fill *error with an EINVAL result.
bool ArgString(const Napi::CallbackInfo &info, size_t i, const char *name, std::string *out, Napi::Value *error);
bool ArgInt(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t *out, Napi::Value *error);

// RAII owner of a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd();
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

void InitLock(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);
void InitFs(Napi::Env env, Napi::Object exports);
void InitNet(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitInRoot(Napi::Env env, Napi::Object exports);

}  // namespace berth
