// Backend-neutral runtime controls that ops and tools need without CUDA headers:
// the stream of a device, synchronisation, and the deterministic mode.
#pragma once

#include "base/device.h"
#include "base/stream.h"

namespace learner {

// The stream all framework work on this CUDA device is issued to (nullptr for the CPU).
cudaStream_t stream_for(const Device& device);

// Waits until all queued work on the device is done (no-op for the CPU).
void synchronize(const Device& device);

// Deterministic mode: cuDNN picks only deterministic algorithms and cuBLAS avoids atomics,
// so a GPU run repeats to the bit. On by default; the CPU is always deterministic.
void set_deterministic(bool on);
bool deterministic();

// Throws learner::Error saying that this build has no CUDA backend.
[[noreturn]] void throw_no_cuda_build(const char* op);

}  // namespace learner

// Runs a CUDA launcher in CUDA builds; in CPU-only builds reports the missing backend.
#ifdef LEARNER_WITH_CUDA
#define LEARNER_CUDA_CALL(op, ...) __VA_ARGS__
#else
#define LEARNER_CUDA_CALL(op, ...) ::learner::throw_no_cuda_build(op)
#endif
