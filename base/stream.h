// The stream type every CUDA launcher takes, declared so that kernel headers compile
// in builds without the CUDA toolkit (the typedef matches cuda_runtime.h exactly).
#pragma once

struct CUstream_st;
typedef CUstream_st* cudaStream_t;
