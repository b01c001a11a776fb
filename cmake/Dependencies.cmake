# Finds what learner links against. CUDA is optional; everything else is required.
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)

# CPU GEMM: OpenBLAS (measured fastest here, docs/performance.md), the OpenMP build: it
# shares OpenMP's thread pool with our own loops, where the default pthread build competes
# with spinning OpenMP workers and loses ~3 ms per GEMM. Debian installs it beside the
# pthread build, so we link it by path; the build-tree RUNPATH then finds it first.
set(LEARNER_OPENBLAS_OPENMP_DIR /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp)
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
find_library(OPENBLAS_LIBRARY openblas PATHS ${LEARNER_OPENBLAS_OPENMP_DIR} NO_DEFAULT_PATH)
add_library(learner_blas INTERFACE)
if(LEARNER_GPU_BUNDLE)
  # The GPU bundle links OpenBLAS statically (with its Fortran runtime): the GPU machines have
  # no Debian libraries, and the archive each binary takes is ~3 MB compressed.
  find_library(OPENBLAS_STATIC_LIBRARY libopenblas.a PATHS ${LEARNER_OPENBLAS_OPENMP_DIR} NO_DEFAULT_PATH REQUIRED)
  find_library(GFORTRAN_STATIC_LIBRARY libgfortran.a HINTS /usr/lib/gcc/${CMAKE_LIBRARY_ARCHITECTURE}/12 REQUIRED)
  find_library(QUADMATH_STATIC_LIBRARY libquadmath.a HINTS /usr/lib/gcc/${CMAKE_LIBRARY_ARCHITECTURE}/12 REQUIRED)
  target_include_directories(learner_blas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
  target_link_libraries(learner_blas INTERFACE ${OPENBLAS_STATIC_LIBRARY} ${GFORTRAN_STATIC_LIBRARY}
                        ${QUADMATH_STATIC_LIBRARY})
  message(STATUS "learner: OpenBLAS static ${OPENBLAS_STATIC_LIBRARY} (GPU bundle)")
elseif(OPENBLAS_INCLUDE_DIR AND OPENBLAS_LIBRARY)
  target_include_directories(learner_blas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
  target_link_libraries(learner_blas INTERFACE ${OPENBLAS_LIBRARY})
  message(STATUS "learner: OpenBLAS (OpenMP build) ${OPENBLAS_LIBRARY}")
else()
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
  target_link_libraries(learner_blas INTERFACE PkgConfig::OPENBLAS)
  message(WARNING "learner: OpenMP build of OpenBLAS not found (apt-get install libopenblas-openmp-dev); "
                  "using the default OpenBLAS, which is slower next to OpenMP loops")
endif()
add_library(learner::blas ALIAS learner_blas)

# CPU convolutions: oneDNN (Debian's libdnnl-dev 2.6, the OpenMP build, the library PyTorch's
# CPU convolutions use; docs/performance.md). Optional so a bare host still builds: without it
# conv2d runs the im2col + OpenBLAS reference. Found by path: Debian's dnnl-config.cmake
# insists on the OpenCL headers (its GPU runtime), which the CPU path does not need.
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(DNNL_LIBRARY dnnl)
add_library(learner_dnnl INTERFACE)
if(DNNL_INCLUDE_DIR AND DNNL_LIBRARY)
  target_include_directories(learner_dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})
  target_link_libraries(learner_dnnl INTERFACE ${DNNL_LIBRARY})
  target_compile_definitions(learner_dnnl INTERFACE LEARNER_WITH_DNNL=1)
  message(STATUS "learner: oneDNN for CPU convolutions (${DNNL_LIBRARY})")
else()
  message(WARNING "learner: oneDNN not found (apt-get install libdnnl-dev); CPU convolutions use "
                  "the slower im2col + OpenBLAS reference")
endif()
add_library(learner::dnnl ALIAS learner_dnnl)

# Clip store: the HDF5 C API (Debian's serial, thread-safe build).
# zlib compresses frames on the decode threads (HDF5 direct chunk writes, data/clip_store_writer.h).
pkg_check_modules(HDF5 REQUIRED IMPORTED_TARGET hdf5)
find_package(ZLIB REQUIRED)
add_library(learner_hdf5 INTERFACE)
if(LEARNER_GPU_BUNDLE)
  # Static HDF5 with its szip/aec and zlib: the shared libhdf5 pulls in libcurl and ~30 more
  # libraries for a read-only S3 driver learner never uses.
  find_library(HDF5_STATIC_LIBRARY libhdf5_serial.a REQUIRED)
  find_library(SZ_STATIC_LIBRARY libsz.a REQUIRED)
  find_library(AEC_STATIC_LIBRARY libaec.a REQUIRED)
  find_library(Z_STATIC_LIBRARY libz.a REQUIRED)
  target_include_directories(learner_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(learner_hdf5 INTERFACE ${HDF5_STATIC_LIBRARY} ${SZ_STATIC_LIBRARY}
                        ${AEC_STATIC_LIBRARY} ${Z_STATIC_LIBRARY} ${CMAKE_DL_LIBS} m)
else()
  target_link_libraries(learner_hdf5 INTERFACE PkgConfig::HDF5 ZLIB::ZLIB)
endif()
add_library(learner::hdf5 ALIAS learner_hdf5)

# `learner pack` sources. Debian's per-module OpenCV, GDCM and NIfTI packages ship no usable
# CMake config (OpenCV's lives in the full libopencv-dev; GDCM's and NIfTI's name tools that
# are not installed), so we find headers and libraries directly.
find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(learner_imaging INTERFACE)
add_library(learner::imaging ALIAS learner_imaging)
if(LEARNER_GPU_BUNDLE)
  # No importers (data/sources/no_importers_bundle.cpp); source.cpp compiles against the
  # OpenCV headers only and links nothing of it.
  target_include_directories(learner_imaging SYSTEM INTERFACE ${OPENCV_INCLUDE_DIR})
else()
find_path(GDCM_INCLUDE_DIR gdcmImageReader.h PATH_SUFFIXES gdcm-3.0 REQUIRED)
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti REQUIRED)
target_include_directories(learner_imaging SYSTEM INTERFACE
  ${OPENCV_INCLUDE_DIR} ${GDCM_INCLUDE_DIR} ${NIFTI_INCLUDE_DIR})
foreach(lib opencv_core opencv_imgproc opencv_imgcodecs opencv_videoio
            gdcmMSFF gdcmDSED gdcmCommon nifti2 znz)
  find_library(LEARNER_LIB_${lib} ${lib} REQUIRED)
  target_link_libraries(learner_imaging INTERFACE ${LEARNER_LIB_${lib}})
endforeach()
endif()

# Process launch and CPU collectives (parallel/mpi_engine.cpp): OpenMPI from Debian. Optional so
# that a machine without it (a bare GPU host) still builds; ranks then start with torchrun's
# variables (the Tcp engine) and NCCL bootstraps through that.
if(NOT LEARNER_GPU_BUNDLE)  # the GPU machines have no MPI: one GPU, or torchrun-style ranks
  find_package(MPI COMPONENTS C)
endif()
if(LEARNER_GPU_BUNDLE)
  message(STATUS "learner: GPU bundle build: no MPI engine")
elseif(MPI_C_FOUND)
  message(STATUS "learner: MPI engine ON (${MPI_C_LIBRARIES})")
else()
  message(WARNING "learner: no MPI found (apt-get install libopenmpi-dev openmpi-bin); building "
                  "without the MPI engine")
endif()

find_path(DOCTEST_INCLUDE_DIR doctest/doctest.h REQUIRED)
add_library(learner_doctest INTERFACE)
target_include_directories(learner_doctest SYSTEM INTERFACE ${DOCTEST_INCLUDE_DIR})
add_library(learner::doctest ALIAS learner_doctest)

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(learner_cli11 INTERFACE)
target_include_directories(learner_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
add_library(learner::cli11 ALIAS learner_cli11)

set(LEARNER_WITH_CUDA OFF)
if(LEARNER_CUDA)
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_ARCHITECTURES ${LEARNER_CUDA_ARCHS})
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # cuDNN and NCCL live in the toolkit (here) or only inside Python wheels (nvidia.cudnn,
    # nvidia.nccl on the GPU machines). CUDNN_ROOT / NCCL_ROOT (CMake or environment
    # variable), when given, is the only place searched, so that a wheel's header is never
    # paired with another install's library; NAMES_PER_DIR makes every listed name be tried
    # in one folder before the next (a wheel ships only libcudnn.so.9, no libcudnn.so).
    macro(learner_find_cuda_library prefix header)
      set(_root "${${prefix}_ROOT}")
      if(NOT _root AND DEFINED ENV{${prefix}_ROOT})
        set(_root "$ENV{${prefix}_ROOT}")
      endif()
      if(_root)
        find_path(${prefix}_INCLUDE_DIR ${header} PATHS ${_root} PATH_SUFFIXES include
                  NO_DEFAULT_PATH REQUIRED)
        find_library(${prefix}_LIBRARY NAMES ${ARGN} NAMES_PER_DIR PATHS ${_root}
                     PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH REQUIRED)
      else()
        find_path(${prefix}_INCLUDE_DIR ${header} HINTS ${CUDAToolkit_INCLUDE_DIRS}
                  PATH_SUFFIXES include REQUIRED)
        find_library(${prefix}_LIBRARY NAMES ${ARGN} NAMES_PER_DIR HINTS ${CUDAToolkit_LIBRARY_DIR}
                     PATH_SUFFIXES lib lib64 REQUIRED)
      endif()
      message(STATUS "learner: ${prefix} ${${prefix}_INCLUDE_DIR}/${header}, ${${prefix}_LIBRARY}")
    endmacro()
    learner_find_cuda_library(CUDNN cudnn.h cudnn libcudnn.so.9)
    add_library(learner_cudnn INTERFACE)
    target_include_directories(learner_cudnn SYSTEM INTERFACE ${CUDNN_INCLUDE_DIR})
    target_link_libraries(learner_cudnn INTERFACE ${CUDNN_LIBRARY})
    add_library(learner::cudnn ALIAS learner_cudnn)
    # NCCL (parallel/nccl_engine_cuda.cpp).
    learner_find_cuda_library(NCCL nccl.h nccl libnccl.so.2)
    add_library(learner_nccl INTERFACE)
    target_include_directories(learner_nccl SYSTEM INTERFACE ${NCCL_INCLUDE_DIR})
    target_link_libraries(learner_nccl INTERFACE ${NCCL_LIBRARY})
    add_library(learner::nccl ALIAS learner_nccl)
    set(LEARNER_WITH_CUDA ON)
    message(STATUS "learner: CUDA backend ON (${CMAKE_CUDA_COMPILER}, archs ${LEARNER_CUDA_ARCHS}, cuDNN ${CUDNN_LIBRARY})")
  else()
    message(STATUS "learner: no CUDA compiler found; building the CPU backend only")
  endif()
else()
  message(STATUS "learner: CUDA backend OFF (LEARNER_CUDA=OFF)")
endif()
