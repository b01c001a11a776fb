// Errors: learner::Error for what a user can cause (bad shapes, files, flags),
// LEARNER_CHECK for invariants whose message names the op and the values involved.
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
