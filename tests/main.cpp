// The unit-test program: every tests/test_*.cpp links into this one doctest binary.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
