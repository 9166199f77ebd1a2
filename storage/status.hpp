// Status: the result of a storage operation, modelled on leveldb::Status.
//
// Contract:
// - Expected failures (a full disk, a torn or corrupt file, a missing key, a
//   bad argument) are returned as a Status value; programmer errors (calling
//   a method from the wrong thread, breaking a documented precondition) are
//   asserts instead (STYLE rule 3).
// - A Status is a plain value: copyable, movable, safe to hand to another
//   thread. It owns its message.
// - The message is for humans (logs, operators); code branches on the code,
//   never on the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace oncepay::storage {

class [[nodiscard]] Status {
 public:
  enum class Code : std::uint8_t {
    kOk = 0,
    kNotFound,
    kCorruption,
    kInvalidArgument,
    kIoError,
    kFull,  // a configured limit (map size, transaction size) was reached
  };

  // A default-constructed Status is ok.
  Status() = default;

  static Status ok() { return Status(); }
  static Status not_found(std::string message) {
    return Status(Code::kNotFound, std::move(message));
  }
  static Status corruption(std::string message) {
    return Status(Code::kCorruption, std::move(message));
  }
  static Status invalid_argument(std::string message) {
    return Status(Code::kInvalidArgument, std::move(message));
  }
  static Status io_error(std::string message) { return Status(Code::kIoError, std::move(message)); }
  static Status full(std::string message) { return Status(Code::kFull, std::move(message)); }

  bool is_ok() const { return code_ == Code::kOk; }
  bool is_not_found() const { return code_ == Code::kNotFound; }
  bool is_corruption() const { return code_ == Code::kCorruption; }
  bool is_invalid_argument() const { return code_ == Code::kInvalidArgument; }
  bool is_io_error() const { return code_ == Code::kIoError; }
  bool is_full() const { return code_ == Code::kFull; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "<Code>: <message>", for logs and test failure output.
  std::string to_string() const {
    if (is_ok()) return "OK";
    return std::string(code_name(code_)) + ": " + message_;
  }

  static std::string_view code_name(Code code) {
    switch (code) {
      case Code::kOk:
        return "OK";
      case Code::kNotFound:
        return "NotFound";
      case Code::kCorruption:
        return "Corruption";
      case Code::kInvalidArgument:
        return "InvalidArgument";
      case Code::kIoError:
        return "IOError";
      case Code::kFull:
        return "Full";
    }
    return "Unknown";
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace oncepay::storage
