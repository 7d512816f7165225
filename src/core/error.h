// The one error type of shrink: a message with context, and whether the cause is bad input
// (exit 2) or an internal failure (exit 1). Throw with SHRINK_CHECK / fail_input / fail_internal.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace shrink {

enum class ErrorKind { kBadInput, kInternal };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

template <class... Args>
[[noreturn]] void fail_input(Args&&... args) {
  throw Error(ErrorKind::kBadInput, detail::concat(std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void fail_internal(Args&&... args) {
  throw Error(ErrorKind::kInternal, detail::concat(std::forward<Args>(args)...));
}

}  // namespace shrink

// Bad-input check: the condition must hold for a well-formed model or file.
#define SHRINK_CHECK(cond, ...)                          \
  do {                                                   \
    if (!(cond)) ::shrink::fail_input(__VA_ARGS__);      \
  } while (0)

// Invariant of our own code: failing means a bug in shrink, not in the input.
#define SHRINK_ASSERT(cond, ...)                                                    \
  do {                                                                              \
    if (!(cond)) ::shrink::fail_internal("internal: ", #cond, " failed: ", __VA_ARGS__); \
  } while (0)
