#include "cli/session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <thread>

namespace migrate::cli {

Result<std::unique_ptr<Driver>> connect(const Config& config, LockConnection lock_connection) {
  DriverOptions options{config.table, lock_connection, config.pg_bindir};
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config.wait_seconds.value_or(0));
  for (;;) {
    auto driver = open_driver(config.url, options);
    if (driver || driver.error().code != ErrorCode::kConnection || !config.wait_seconds ||
        std::chrono::steady_clock::now() >= deadline) {
      if (!driver && config.wait_seconds && driver.error().code == ErrorCode::kConnection)
        driver.error().message += fmt::format(" (waited {} s)", *config.wait_seconds);
      return driver;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

Result<void> confirm_destructive(const Config& config, std::string_view command,
                                 std::string_view consequence) {
  if (config.yes) return {};
  if (!::isatty(STDIN_FILENO)) {
    return fail(
        ErrorCode::kUsage,
        fmt::format("'{}' {} and needs confirmation; stdin is not a terminal, so pass --yes",
                    command, consequence));
  }
  std::cerr << fmt::format("'{}' {} in {}.\nType 'yes' to continue: ", command, consequence,
                           config.url.masked())
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") {
    return fail(ErrorCode::kRefused, fmt::format("'{}' cancelled; nothing changed", command));
  }
  return {};
}

}  // namespace migrate::cli
