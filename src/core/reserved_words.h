// SQL words that cannot name a table without quotes in at least one of the
// databases migrate supports, so that a --table the drivers splice into SQL
// unquoted is refused up front rather than breaking one statement later.
#pragma once

#include <string_view>

namespace migrate {

// True for a reserved word of SQLite, PostgreSQL or MySQL/MariaDB (any case).
bool is_reserved_word(std::string_view word);

}  // namespace migrate
