// Shapes: a list of sizes, outermost first; tensors are always contiguous row-major.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace learner {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[8, 3, 112, 112]"
// Resolves a possibly negative dimension index against a rank; throws naming the op.
int normalize_dim(int dim, int rank, const char* op);

}  // namespace learner
