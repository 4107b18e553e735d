// Scratch databases that `migrate verify --deep` left behind on a shared
// test server.
//
// verify --deep restores into migrate_verify_<pid>_<random> and drops it
// afterwards; a migrate that crashes on the way cannot. Such an orphan stays
// on the server for good, where tests that count scratch databases (to
// check that verify drops its own) would trip over it. The conformance
// fixture removes orphans after each case; a database whose migrate still
// runs is left alone.
#pragma once

#include <string>
#include <vector>

namespace migrate::testing {

// The names among `names` (one a line) of verify databases whose migrate
// process is gone.
std::vector<std::string> orphaned_verify_databases(const std::string& names);

}  // namespace migrate::testing
