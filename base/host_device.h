// LEARNER_HD marks small inline functions that both the CPU reference (.cpp) and the CUDA
// kernels (.cu) call, so the two share one definition of the arithmetic.
#pragma once

#ifdef __CUDACC__
#define LEARNER_HD __host__ __device__ __forceinline__
#else
#define LEARNER_HD inline
#endif
