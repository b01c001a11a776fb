// Element types. f32 is the compute type; u8/i32/i64 carry pixels and indices.
// f16/bf16 are reserved so that storage and checkpoints can hold them later.
#pragma once

#include <cstddef>
#include <cstdint>

namespace learner {

enum class DType : uint8_t { F32, F16, BF16, U8, I32, I64 };
constexpr int kNumDTypes = 6;

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
bool is_floating(DType dtype);

// Maps a C++ element type to its DType, for typed accessors.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::U8; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::I64; };

}  // namespace learner
