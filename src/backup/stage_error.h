// The sticky failure state of a backup stream stage (compressing,
// decompressing, encrypting, decrypting). Once a stage has failed, every later
// call on it must return that same error, so that a pipeline never writes or
// reads past a failure; a sink must also refuse any call after finish().
// These classes hold that state so each stage keeps only its real work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "migrate/error.h"

namespace migrate {

// The first failure of a stage.
class StageError {
 public:
  bool failed() const { return error_.has_value(); }
  // Valid only when failed().
  const Error& error() const { return *error_; }

  // Remembers `error` unless a failure is already remembered, and returns the
  // remembered one, ready to be returned from any Result<T> function.
  tl::unexpected<Error> record(Error error) {
    if (!error_) error_ = std::move(error);
    return tl::unexpected(*error_);
  }

  // Passes `result` through, remembering its failure.
  Result<void> remember(Result<void> result) {
    if (!result) record(result.error());
    return result;
  }

 private:
  std::optional<Error> error_;
};

// A sink stage's first failure, and whether finish() ran.
class SinkStageError : public StageError {
 public:
  // `stage` names the sink in errors ("gzip compressor"); it must outlive the
  // object (a string literal).
  explicit SinkStageError(std::string_view stage) : stage_(stage) {}

  // The remembered failure, or an error if finish() already ran; to be
  // checked first in write() and finish().
  Result<void> check_usable() const {
    if (failed()) return tl::unexpected(error());
    if (finished_) return fail(ErrorCode::kGeneral, std::string(stage_) + " used after finish()");
    return {};
  }

  void mark_finished() { finished_ = true; }

 private:
  std::string_view stage_;
  bool finished_ = false;
};

}  // namespace migrate
