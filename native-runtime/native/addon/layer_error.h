// Errors of the layer code, as values: the one convention of the native code (common/error.h: a
// function that can fail returns false and fills the error it was given; nothing throws). Besides
// errno and the message, a layer error carries what JS needs to build a LayerError (src/layers/errors.ts):
// the refusal code and the entry at fault, whose name may be longer than common Error's fixed buffer.
#pragma once

#include <string>

namespace berth {

struct LayerErr {
  int err = 0;       // errno of a failed syscall; 0 for a refused entry
  std::string code;  // "UNSAFE_ENTRY" | "UNSUPPORTED_ENTRY" | "INVALID_TAR" | ...; empty for syscall errors
  std::string message;
  std::string entry;  // tar entry (apply) or path (diff) at fault
  bool hasEntry = false;
};

// A refused entry: fills e, returns false.
bool Refuse(LayerErr *e, const char *code, std::string message, const std::string &entry);
// A failed syscall: "what: strerror(err)"; fills e, returns false.
bool Sys(LayerErr *e, int err, const std::string &what, const std::string &entry = std::string());

}  // namespace berth
