// Compiled as part of drivers, which sees core and util: builds.
#include "migrate/driver.h"
#include "util/strings.h"

int layer_probe_drivers_sees_lower() {
  return static_cast<int>(migrate::trim(" x ").size());
}
