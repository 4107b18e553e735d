// Small text helpers shared by the drivers' parsing of tool output.
#pragma once

#include <string_view>

namespace migrate {

// `text` without leading and trailing white space.
std::string_view trim(std::string_view text);

}  // namespace migrate
