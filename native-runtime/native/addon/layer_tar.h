// Layer tars: applying one into a snapshot directory safely, and walking a directory into one.
// The tar work runs on libuv's thread pool (one AsyncWorker per batch), so JS can inflate and hash
// the next batch meanwhile. See layer_tar.cc for the safety model.
#pragma once

#include <napi.h>

namespace berth {

// layerApplierOpen/Write/Finish/Close, layerDifferOpen/Read/Close, diskUsage.
void InitLayerTar(Napi::Env env, Napi::Object exports);

}  // namespace berth
