#include "host_error.h"

#include <cstdio>
#include <cstring>

namespace microvm {

std::string hex(unsigned long long value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", value);
  return text;
}

std::string errnoText(int err) {
  char buffer[128];
  // GNU strerror_r returns a pointer that may or may not be `buffer`.
  const char* text = strerror_r(err, buffer, sizeof buffer);
  return std::string(text) + " (errno " + std::to_string(err) + ")";
}

}  // namespace microvm
