// CUDA strided block copy: one 2-D memcpy on the stream (the copy engine handles the pitches).
#include "base/cuda/check.h"
#include "kernels/copy_rows.h"

namespace learner {

void copy_rows_cuda(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width,
                    int64_t rows, cudaStream_t stream) {
  if (width == 0 || rows == 0) return;
  // cudaMemcpy2DAsync rejects a pitch smaller than the width, which a single row never needs.
  if (rows == 1) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, width, cudaMemcpyDeviceToDevice, stream));
    return;
  }
  CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width, static_cast<size_t>(rows),
                               cudaMemcpyDeviceToDevice, stream));
}

}  // namespace learner
