// Two kinds of error. LEARNER_CHECK throws learner::Error for what a user can cause (bad
// shapes, files, flags), with a message naming the op and the values involved.
// LEARNER_ASSERT is for internal invariants (a bug in learner): it aborts with file:line.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace learner {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  append(os, rest...);
}
// Prints "learner: internal error at file:line: cond: message" to stderr and aborts.
[[noreturn]] void internal_failure(const char* cond, const std::string& message, const char* file,
                                   int line);
}  // namespace detail

// Builds a message from any streamable pieces: str("conv2d: got ", shape_str(s)).
template <typename... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  return os.str();
}

}  // namespace learner

// Throws learner::Error with the given message pieces when cond is false.
#define LEARNER_CHECK(cond, ...)                                    \
  do {                                                              \
    if (!(cond)) throw ::learner::Error(::learner::str(__VA_ARGS__)); \
  } while (0)

// Aborts with file:line, the condition and the message when cond is false. Only for what no
// input can cause; a debugger or core dump then stops at the broken invariant.
#define LEARNER_ASSERT(cond, ...)                                                          \
  do {                                                                                     \
    if (!(cond))                                                                           \
      ::learner::detail::internal_failure(#cond, ::learner::str(__VA_ARGS__), __FILE__, __LINE__); \
  } while (0)
