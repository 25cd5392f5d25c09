// Every addon call returns a NativeResult value ({ok:true,value} | {ok:false,error:{errno,message}}),
// never throws: see src/native/types.ts.
#pragma once

#include <napi.h>

#include <string>

#include "error.h"  // the one error value of all native code (common/error.h)
#include "fd.h"     // the one fd owner of all native code (common/fd.h)

namespace berth {

Napi::Value Ok(Napi::Env env, Napi::Value value);
Napi::Value OkNull(Napi::Env env);
Napi::Value Err(Napi::Env env, int err, const std::string &message);
// An Error value (common/error.h) as a NativeResult; errno EINVAL when it had none.
Napi::Value Err(Napi::Env env, const Error &e);
// Err with strerror(err) appended to what.
Napi::Value SysErr(Napi::Env env, int err, const std::string &what);

// Argument checks; on mismatch they fill *error with an EINVAL result.
bool ArgString(const Napi::CallbackInfo &info, size_t i, const char *name, std::string *out, Napi::Value *error);
bool ArgInt(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t *out, Napi::Value *error);

void InitLock(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);
void InitFs(Napi::Env env, Napi::Object exports);
void InitNet(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitInRoot(Napi::Env env, Napi::Object exports);
void InitBtrfs(Napi::Env env, Napi::Object exports);
void InitTreeDiff(Napi::Env env, Napi::Object exports);
void InitDeviceFilter(Napi::Env env, Napi::Object exports);

}  // namespace berth
