// HDF5 error reporting: the failed call, where, and HDF5's error stack in one message.
#include "data/hdf5_check.h"

#include <string>

#include "base/error.h"

namespace learner::data::h5 {
namespace {

herr_t collect(unsigned n, const H5E_error2_t* e, void* client) {
  auto* out = static_cast<std::string*>(client);
  *out += learner::str(n == 0 ? "" : "; ", e->func_name, ": ", e->desc ? e->desc : "");
  return 0;
}

}  // namespace

void quiet_errors() {
  thread_local bool quiet = false;
  if (!quiet) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    quiet = true;
  }
}

void throw_error(const char* call, const char* file, int line) {
  std::string stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &stack);
  H5Eclear2(H5E_DEFAULT);
  throw Error(learner::str("HDF5 call failed at ", file, ":", line, ": ", call,
                           stack.empty() ? "" : " (", stack, stack.empty() ? "" : ")"));
}

}  // namespace learner::data::h5
