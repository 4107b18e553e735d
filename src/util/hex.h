// Lowercase hexadecimal text of bytes (digests, salts, key checks).
#pragma once

#include <string>
#include <string_view>

namespace migrate {

// Two lowercase hex digits per byte, in order.
std::string hex_encode(std::string_view bytes);

}  // namespace migrate
