// Compiled as part of util, the bottom layer, which must not see core: fails.
#include "migrate/config.h"
