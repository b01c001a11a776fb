// CPU strided block copy: one memcpy per row.
#include "kernels/copy_rows.h"

#include <cstring>

namespace learner {

void copy_rows_cpu(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width,
                   int64_t rows) {
  if (width == 0) return;
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(static_cast<char*>(dst) + r * dst_pitch,
                static_cast<const char*>(src) + r * src_pitch, width);
}

}  // namespace learner
