// batched_matmul: checks, NVTX range and the backward products.
#include "framework/ops/batched_matmul.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"

namespace learner {

void batched_gemm(const Tensor& c, const Tensor& a, const Tensor& b, int64_t G, int64_t M,
                  int64_t N, int64_t K, Transpose trans_a, Transpose trans_b, float alpha,
                  float beta) {
  const BatchStrides strides{M * K, K * N, M * N};
  if (c.device().is_cuda()) {
    LEARNER_CUDA_CALL("batched_matmul",
                      gemm_strided_batched_cuda(c.data<float>(), a.data<float>(), b.data<float>(),
                                                G, M, N, K, trans_a, trans_b, alpha, beta, strides,
                                                stream_for(c.device())));
  } else {
    gemm_strided_batched_cpu(c.data<float>(), a.data<float>(), b.data<float>(), G, M, N, K,
                             trans_a, trans_b, alpha, beta, strides);
  }
}

Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("batched_matmul");
  check_dtype(a, DType::F32, "batched_matmul", "a");
  check_dtype(b, DType::F32, "batched_matmul", "b");
  check_rank(a, 3, "batched_matmul", "a");
  check_rank(b, 3, "batched_matmul", "b");
  check_same_device(a, b, "batched_matmul");
  const int64_t G = a.size(0), M = a.size(1), K = a.size(2), N = b.size(2);
  LEARNER_CHECK(b.size(0) == G && b.size(1) == K, "batched_matmul: a ", a.describe(), " and b ",
                b.describe(), " cannot be multiplied: expected b [", G, ", ", K, ", N]");
  Tensor c = Tensor::empty({G, M, N}, DType::F32, a.device());
  batched_gemm(c, a, b, G, M, N, K, Transpose::No, Transpose::No, 1.f, 0.f);
  const bool keep = needs_graph({a, b});
  Tensor a_saved = keep ? a.detach() : Tensor(), b_saved = keep ? b.detach() : Tensor();
  return record(c, "batched_matmul", {a, b},
                [a_saved, b_saved, G, M, N, K](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("batched_matmul_backward");
                  Tensor da, db;
                  if (needs[0]) {
                    da = Tensor::empty({G, M, K}, DType::F32, g.device());
                    batched_gemm(da, g, b_saved, G, M, K, N, Transpose::No, Transpose::Yes, 1.f, 0.f);
                  }
                  if (needs[1]) {
                    db = Tensor::empty({G, K, N}, DType::F32, g.device());
                    batched_gemm(db, a_saved, g, G, K, N, M, Transpose::Yes, Transpose::No, 1.f, 0.f);
                  }
                  return std::vector<Tensor>{da, db};
                });
}

}  // namespace learner
