#include "layer_error.h"

#include <string.h>

#include <utility>

namespace berth {

bool Refuse(LayerErr *e, const char *code, std::string message, const std::string &entry) {
  e->err = 0;
  e->code = code;
  e->message = std::move(message);
  e->entry = entry;
  e->hasEntry = true;
  return false;
}

bool Sys(LayerErr *e, int err, const std::string &what, const std::string &entry) {
  e->err = err;
  e->code.clear();
  e->message = what + ": " + strerror(err);
  e->entry = entry;
  e->hasEntry = !entry.empty();
  return false;
}

}  // namespace berth
