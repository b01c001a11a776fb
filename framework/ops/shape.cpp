// Shape ops: views (reshape, flatten, slice of whole outer blocks) and copies (permute,
// concat, slice, index_select), each with its backward.
#include "framework/ops/shape.h"

#include <climits>

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/index_check.h"
#include "base/runtime.h"
#include "kernels/copy_rows.h"
#include "kernels/index_select.h"
#include "kernels/permute.h"

namespace learner {

namespace {

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t d = begin; d < end; ++d) p *= shape[d];
  return p;
}

void* byte_offset(const Tensor& t, size_t bytes) { return static_cast<char*>(t.raw_data()) + bytes; }

void copy_rows(const Tensor& dst, size_t dst_offset, size_t dst_pitch, const Tensor& src,
               size_t src_offset, size_t src_pitch, size_t width, int64_t rows) {
  if (dst.device().is_cuda()) {
    LEARNER_CUDA_CALL("copy_rows", copy_rows_cuda(byte_offset(dst, dst_offset), dst_pitch,
                                                  byte_offset(src, src_offset), src_pitch, width,
                                                  rows, stream_for(dst.device())));
  } else {
    copy_rows_cpu(byte_offset(dst, dst_offset), dst_pitch, byte_offset(src, src_offset), src_pitch,
                  width, rows);
  }
}

// A view of x with another shape whose gradient is viewed back to x's shape.
Tensor view_with_grad(const Tensor& x, const Shape& shape, const char* op) {
  Tensor out = x.view_as_shape(shape);
  const Shape x_shape = x.shape();
  return record(out, op, {x}, [x_shape](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{g.view_as_shape(x_shape)};
  });
}

Tensor permute_copy(const Tensor& x, const std::vector<int>& dims) {
  Shape out_shape(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) out_shape[k] = x.shape()[dims[k]];
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  const size_t element = dtype_size(x.dtype());
  if (x.device().is_cuda()) {
    LEARNER_CUDA_CALL("permute", permute_cuda(out.raw_data(), x.raw_data(), element, x.dim(),
                                              x.shape().data(), dims.data(),
                                              stream_for(x.device())));
  } else {
    permute_cpu(out.raw_data(), x.raw_data(), element, x.dim(), x.shape().data(), dims.data());
  }
  return out;
}

// dx (O, R, I) from dy (O, L, I): every dx row sums, in index order, the dy rows that
// picked it.
Tensor index_select_backward(const Tensor& g, const Tensor& index, const Shape& x_shape, int dim) {
  Tensor dx = Tensor::empty(x_shape, DType::F32, g.device());
  if (dx.numel() == 0) return dx;
  const int64_t outer = product(x_shape, 0, dim), rows = x_shape[dim];
  const int64_t inner = product(x_shape, dim + 1, x_shape.size()), length = index.numel();
  const bool wide = index.dtype() == DType::I64;
  if (g.device().is_cuda()) {
    LEARNER_CUDA_CALL("index_select_backward", [&] {
      cudaStream_t stream = stream_for(g.device());
      const size_t bytes = index_select_backward_cuda_workspace(length, rows);
      Tensor workspace =
          bytes > 0 ? Tensor::empty({static_cast<int64_t>(bytes)}, DType::U8, g.device()) : Tensor();
      void* ws = bytes > 0 ? workspace.raw_data() : nullptr;
      if (wide) {
        index_select_backward_cuda(dx.data<float>(), g.data<float>(), index.data<int64_t>(),
                                   length, outer, rows, inner, ws, stream);
      } else {
        index_select_backward_cuda(dx.data<float>(), g.data<float>(), index.data<int32_t>(),
                                   length, outer, rows, inner, ws, stream);
      }
    }());
  } else if (wide) {
    index_select_backward_cpu(dx.data<float>(), g.data<float>(), index.data<int64_t>(), length,
                              outer, rows, inner);
  } else {
    index_select_backward_cpu(dx.data<float>(), g.data<float>(), index.data<int32_t>(), length,
                              outer, rows, inner);
  }
  return dx;
}

}  // namespace

Tensor reshape(const Tensor& x, Shape shape) {
  check_defined(x, "reshape", "x");
  int inferred = -1;
  int64_t known = 1;
  bool valid = true;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1 && inferred < 0) {
      inferred = static_cast<int>(d);
    } else if (shape[d] < 0) {
      valid = false;  // a second -1, or another negative size
    } else {
      known *= shape[d];
    }
  }
  const Shape requested = shape;
  if (valid && inferred >= 0) {
    valid = known > 0 && x.numel() % known == 0;
    if (valid) shape[inferred] = x.numel() / known;
  }
  LEARNER_CHECK(valid && shape_numel(shape) == x.numel(), "reshape: cannot reshape ", x.describe(),
                " (", x.numel(), " elements) into ", shape_str(requested));
  return view_with_grad(x, shape, "reshape");
}

Tensor flatten(const Tensor& x, int start_dim) {
  check_defined(x, "flatten", "x");
  const int d = normalize_dim(start_dim, x.dim(), "flatten");
  Shape shape(x.shape().begin(), x.shape().begin() + d);
  shape.push_back(product(x.shape(), d, x.shape().size()));
  return view_with_grad(x, shape, "flatten");
}

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  LEARNER_NVTX_RANGE("permute");
  check_defined(x, "permute", "x");
  const int rank = x.dim();
  std::string dims_text = "[";
  for (size_t k = 0; k < dims.size(); ++k) dims_text += (k ? ", " : "") + std::to_string(dims[k]);
  dims_text += "]";
  LEARNER_CHECK(rank <= kMaxPermuteRank, "permute: rank ", rank, " of ", x.describe(),
                " exceeds the supported ", kMaxPermuteRank);
  LEARNER_CHECK(static_cast<int>(dims.size()) == rank, "permute: dims ", dims_text, " name ",
                dims.size(), " axes but ", x.describe(), " has ", rank);
  std::vector<int> resolved(rank), inverse(rank, -1);
  for (int k = 0; k < rank; ++k) {
    resolved[k] = normalize_dim(dims[k], rank, "permute");
    LEARNER_CHECK(inverse[resolved[k]] < 0, "permute: dims ", dims_text,
                  " are not a permutation of the axes of ", x.describe(), " (axis ", resolved[k],
                  " appears twice)");
    inverse[resolved[k]] = k;
  }
  Tensor out = permute_copy(x, resolved);
  return record(out, "permute", {x}, [inverse](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{permute_copy(g, inverse)};
  });
}

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  LEARNER_NVTX_RANGE("concat");
  LEARNER_CHECK(!xs.empty(), "concat: needs at least one tensor");
  for (size_t k = 0; k < xs.size(); ++k)
    LEARNER_CHECK(xs[k].defined(), "concat: input ", k, " is an undefined tensor");
  const Tensor& first = xs[0];
  const int d = normalize_dim(dim, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    LEARNER_CHECK(x.dtype() == first.dtype() && x.device() == first.device(), "concat: input ", k,
                  " ", x.describe(), " differs in dtype or device from input 0 ", first.describe());
    bool match = x.dim() == first.dim();
    for (int a = 0; match && a < first.dim(); ++a) match = a == d || x.shape()[a] == first.shape()[a];
    LEARNER_CHECK(match, "concat: input ", k, " ", x.describe(), " does not match input 0 ",
                  first.describe(), " outside dimension ", d);
    out_shape[d] += x.shape()[d];
  }

  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  const size_t element = dtype_size(first.dtype());
  const int64_t outer = product(out_shape, 0, d);
  const size_t inner_bytes = product(out_shape, d + 1, out_shape.size()) * element;
  const size_t out_pitch = out_shape[d] * inner_bytes;
  std::vector<size_t> offsets;  // byte offset of each input inside an output row
  size_t offset = 0;
  for (const Tensor& x : xs) {
    const size_t width = x.shape()[d] * inner_bytes;
    copy_rows(out, offset, out_pitch, x, 0, width, width, outer);
    offsets.push_back(offset);
    offset += width;
  }

  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  return record(out, "concat", xs,
                [shapes, offsets, d, outer, inner_bytes, out_pitch](const Tensor& g,
                                                                    const NeedsGrad& needs) {
                  std::vector<Tensor> grads(shapes.size());
                  for (size_t k = 0; k < shapes.size(); ++k) {
                    if (!needs[k]) continue;
                    grads[k] = Tensor::empty(shapes[k], DType::F32, g.device());
                    const size_t width = shapes[k][d] * inner_bytes;
                    copy_rows(grads[k], 0, width, g, offsets[k], out_pitch, width, outer);
                  }
                  return grads;
                });
}

Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  check_defined(x, "slice", "x");
  const int d = normalize_dim(dim, x.dim(), "slice");
  const int64_t size = x.shape()[d];
  const int64_t begin = start < 0 ? start + size : start;
  const int64_t stop = end < 0 ? end + size : end;
  LEARNER_CHECK(0 <= begin && begin <= stop && stop <= size, "slice: range [", start, ", ", end,
                ") does not fit dimension ", d, " of size ", size, " of ", x.describe());
  const int64_t outer = product(x.shape(), 0, d);
  const size_t inner_bytes = product(x.shape(), d + 1, x.shape().size()) * dtype_size(x.dtype());
  const size_t x_pitch = size * inner_bytes, width = (stop - begin) * inner_bytes;
  const size_t start_bytes = begin * inner_bytes;
  Shape out_shape = x.shape();
  out_shape[d] = stop - begin;

  Tensor out;
  if (outer == 1) {  // whole outer blocks: a view into x's storage
    out = x.detach();
    out.impl().offset_bytes += start_bytes;
    out.impl().shape = out_shape;
  } else {
    LEARNER_NVTX_RANGE("slice");
    out = Tensor::empty(out_shape, x.dtype(), x.device());
    copy_rows(out, 0, width, x, start_bytes, x_pitch, width, outer);
  }
  const Shape x_shape = x.shape();
  return record(out, "slice", {x},
                [x_shape, outer, start_bytes, x_pitch, width](const Tensor& g, const NeedsGrad&) {
                  Tensor dx = Tensor::zeros(x_shape, DType::F32, g.device());
                  copy_rows(dx, start_bytes, x_pitch, g, 0, width, width, outer);
                  return std::vector<Tensor>{dx};
                });
}

Tensor index_select(const Tensor& x, int dim, const Tensor& index, IndexCheck check) {
  LEARNER_NVTX_RANGE("index_select");
  check_defined(x, "index_select", "x");
  check_defined(index, "index_select", "index");
  LEARNER_CHECK(index.dtype() == DType::I64 || index.dtype() == DType::I32,
                "index_select: index must be i64 or i32, got ", index.describe());
  check_rank(index, 1, "index_select", "index");
  check_same_device(x, index, "index_select");
  const int d = normalize_dim(dim, x.dim(), "index_select");
  const int64_t rows = x.shape()[d], length = index.numel();
  const BadIndex bad = check == IndexCheck::Verify ? find_bad_index(index, rows) : BadIndex{};
  LEARNER_CHECK(bad.position < 0, "index_select: index[", bad.position, "] = ", bad.value,
                " is out of range for dimension ", d, " of size ", rows, " of ", x.describe());
  LEARNER_CHECK(!x.device().is_cuda() || (length < INT_MAX && rows < INT_MAX),
                "index_select: CUDA supports fewer than 2^31 rows and indices, got ", rows,
                " rows and ", length, " indices");
  const int64_t outer = product(x.shape(), 0, d);
  const int64_t inner = product(x.shape(), d + 1, x.shape().size());
  Shape out_shape = x.shape();
  out_shape[d] = length;
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  const bool wide = index.dtype() == DType::I64;
  const size_t element = dtype_size(x.dtype());
  if (out.numel() > 0) {
    if (x.device().is_cuda()) {
      LEARNER_CUDA_CALL("index_select",
                        wide ? index_select_forward_cuda(out.raw_data(), x.raw_data(), element,
                                                         index.data<int64_t>(), length, outer, rows,
                                                         inner, stream_for(x.device()))
                             : index_select_forward_cuda(out.raw_data(), x.raw_data(), element,
                                                         index.data<int32_t>(), length, outer, rows,
                                                         inner, stream_for(x.device())));
    } else if (wide) {
      index_select_forward_cpu(out.raw_data(), x.raw_data(), element, index.data<int64_t>(), length,
                               outer, rows, inner);
    } else {
      index_select_forward_cpu(out.raw_data(), x.raw_data(), element, index.data<int32_t>(), length,
                               outer, rows, inner);
    }
  }

  Tensor index_saved = needs_graph({x}) ? index.detach() : Tensor();
  const Shape x_shape = x.shape();
  return record(out, "index_select", {x}, [index_saved, x_shape, d](const Tensor& g,
                                                                      const NeedsGrad&) {
    return std::vector<Tensor>{index_select_backward(g, index_saved, x_shape, d)};
  });
}

}  // namespace learner
