#include "util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace migrate::log {
namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_st("migrate");
    l->set_pattern("%^%l%$: %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return instance;
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init(LogLevel level, Color color) {
  auto& l = logger();
  l->set_level(to_spdlog(level));
  bool colored = color == Color::kAuto && ::isatty(STDERR_FILENO);
  auto* sink = dynamic_cast<spdlog::sinks::stderr_color_sink_st*>(l->sinks().front().get());
  if (sink) sink->set_color_mode(colored ? spdlog::color_mode::always : spdlog::color_mode::never);
}

void debug(std::string_view message) {
  logger()->debug(message);
}
void info(std::string_view message) {
  logger()->info(message);
}
void warn(std::string_view message) {
  logger()->warn(message);
}
void error(std::string_view message) {
  logger()->error(message);
}

}  // namespace migrate::log
