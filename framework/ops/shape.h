// Differentiable shape ops. Tensors are contiguous, so reshape is a view (no copy);
// permute, concat and index_select copy; slice is a view when it cuts whole outer blocks
// (dimension 0, or every dimension before `dim` has size 1) and a copy otherwise.
#pragma once

#include <vector>

#include "framework/tensor.h"

namespace learner {

Tensor reshape(const Tensor& x, Shape shape);        // one entry may be -1 (inferred)
inline Tensor view(const Tensor& x, Shape shape) { return reshape(x, std::move(shape)); }
Tensor flatten(const Tensor& x, int start_dim = 1);  // (N, a, b, ...) -> (N, a*b*...)
Tensor permute(const Tensor& x, const std::vector<int>& dims);
Tensor concat(const std::vector<Tensor>& xs, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);  // [start, end)
// Whether index_select checks its index. Trusted: the caller checked it once against this
// dimension's size (a constant index it built, such as Swin's relative position index) and
// the check is skipped; on CUDA that check waits for the stream to read its answer back.
enum class IndexCheck { Verify, Trusted };
// Rows of x along `dim` picked by a 1-D i64 (or i32) index; backward scatters with +=
// (an index may repeat).
Tensor index_select(const Tensor& x, int dim, const Tensor& index, IndexCheck check = IndexCheck::Verify);

}  // namespace learner
