// Compiled as part of drivers, which must not see the engine (above it): fails.
#include "migrate/engine.h"
