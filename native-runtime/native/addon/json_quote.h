// JSON.stringify of a string: for messages that quote names as the TypeScript ones do, and for the
// JSON the addon hands to berth-shim.
#pragma once

#include <string>

namespace berth {

std::string JsonQuote(const std::string &s);

}  // namespace berth
