// The unit-test program: every tests/**/test_*.cpp (but the multi-rank tests/dist/ranks/)
// links into this one doctest binary. Folders: op/ (ops, kernels, the op-case table),
// framework/, data/, models/, train/, tool/ (the `learner` command), dist/, util/ (helpers).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
