// Compiled as part of drivers, which must not see backup (a sibling): fails.
#include "backup/store.h"
