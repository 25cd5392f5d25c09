// The N-API face of the layer code: handles are Externals, and each call that does file work is one
// AsyncWorker on libuv's pool resolving a NativeResult (never rejecting), so JS can inflate and hash the
// next batch meanwhile. JS never issues two calls on one handle at once (a second one gets EBUSY).
// Errors are values {errno, message, code?, entry?} (src/native/types.ts).
#pragma once

#include <napi.h>

namespace berth {

// layerApplierOpen/Write/Finish/Close, layerDifferOpen/Read/Close, diskUsage, containerTarOpen,
// containerPut, removeTree.
void InitLayerTar(Napi::Env env, Napi::Object exports);

}  // namespace berth
