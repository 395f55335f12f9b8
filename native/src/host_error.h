// Errors raised inside the native host. Each carries one of the ErrorCode strings of
// native/lib/types.ts so that the JavaScript side can classify it without parsing text.
#pragma once

#include <stdexcept>
#include <string>

namespace microvm {

class HostError : public std::runtime_error {
 public:
  HostError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& message) {
  throw HostError(code, message);
}

std::string hex(unsigned long long value);
std::string errnoText(int err);

}  // namespace microvm
