// Shape helpers.
#include "framework/shape.h"

#include "base/error.h"

namespace learner {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

int normalize_dim(int dim, int rank, const char* op) {
  const int d = dim < 0 ? dim + rank : dim;
  LEARNER_CHECK(d >= 0 && d < rank, op, ": dimension ", dim, " is out of range for a tensor of rank ",
                rank);
  return d;
}

}  // namespace learner
