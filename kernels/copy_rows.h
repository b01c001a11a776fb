// Strided block copy for concat and slice (any element type, in bytes):
//   for r in [0, rows): dst[r * dst_pitch .. + width) = src[r * src_pitch .. + width)
// Overwrites the destination bytes it names and nothing else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/stream.h"

namespace learner {

void copy_rows_cpu(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width,
                   int64_t rows);
// Device to device on the same GPU, ordered on `stream`.
void copy_rows_cuda(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width,
                    int64_t rows, cudaStream_t stream);

}  // namespace learner
