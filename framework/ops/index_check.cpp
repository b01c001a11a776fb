// Index range checks on either device.
#include "framework/ops/index_check.h"

#include "base/runtime.h"
#include "kernels/index_check.h"

namespace learner {

BadIndex find_bad_index(const Tensor& index, int64_t limit) {
  const int64_t n = index.numel();
  const bool wide = index.dtype() == DType::I64;
  BadIndex bad;
  if (index.device().is_cuda()) {
    Tensor result = Tensor::empty({2}, DType::I64, index.device());
    if (wide) {
      LEARNER_CUDA_CALL("index check", first_bad_index_cuda(result.data<int64_t>(),
                                                            index.data<int64_t>(), n, limit,
                                                            stream_for(index.device())));
    } else {
      LEARNER_CUDA_CALL("index check", first_bad_index_cuda(result.data<int64_t>(),
                                                            index.data<int32_t>(), n, limit,
                                                            stream_for(index.device())));
    }
    const std::vector<int64_t> host = result.to_vector<int64_t>();
    bad.position = host[0];
    bad.value = host[1];
    return bad;
  }
  bad.position = wide ? first_bad_index_cpu(index.data<int64_t>(), n, limit)
                      : first_bad_index_cpu(index.data<int32_t>(), n, limit);
  if (bad.position >= 0)
    bad.value = wide ? index.data<int64_t>()[bad.position] : index.data<int32_t>()[bad.position];
  return bad;
}

}  // namespace learner
