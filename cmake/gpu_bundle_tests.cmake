# The GPU bundle's learner_tests: every tests/<folder>/test_*.cpp (not the multi-rank program's
# tests/dist/ranks/) that holds a [cuda] case (found by
# reading the files, so a new [cuda] case joins the bundle by itself), the runtime checks of
# framework/test_cuda_runtime.cpp, and the helpers they use. Their CPU cases come along and are what
# `scripts/gpu-check --dry-run` runs on a machine without a GPU.
file(GLOB_RECURSE _learner_test_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_*.cpp)
list(FILTER _learner_test_files EXCLUDE REGEX "/tests/dist/ranks/")
set(LEARNER_GPU_BUNDLE_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/util/test_util.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/util/data_test_util.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/dist/dist_scenarios.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/op/op_cases.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/op/op_cases_transformer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/op/op_cases_videomae.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/models/transformer_parity.cpp)
foreach(_file ${_learner_test_files})
  file(READ ${_file} _text)
  string(FIND "${_text}" "[cuda]" _at)
  if(NOT _at EQUAL -1)
    list(APPEND LEARNER_GPU_BUNDLE_TEST_SOURCES ${_file})
  endif()
endforeach()
list(LENGTH LEARNER_GPU_BUNDLE_TEST_SOURCES _count)
message(STATUS "learner: GPU bundle tests: ${_count} files")
