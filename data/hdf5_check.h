// The HDF5 checking macro and RAII owners for hid_t handles. Every HDF5 C call goes through
// H5_CHECK, which throws learner::Error with file:line, the call and HDF5's own error stack.
#pragma once

#include <hdf5.h>

#include <utility>

namespace learner::data::h5 {

// Turns off HDF5's automatic printing of its error stack for the calling thread (the stacks
// are per thread in the thread-safe library); H5_CHECK reports the stack itself.
void quiet_errors();

[[noreturn]] void throw_error(const char* call, const char* file, int line);

template <typename T>
T check(T result, const char* call, const char* file, int line) {
  if (result < 0) throw_error(call, file, line);
  return result;
}

// Owns one hid_t and closes it with `Close` (H5Fclose, H5Dclose, ...) exactly once.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now, ignoring a failure (destructors and error paths).
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and reports a failure (closing a file writes its last metadata).
  void close() {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0) check(Close(id), "close", __FILE__, __LINE__);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Dataset = Handle<H5Dclose>;
using Space = Handle<H5Sclose>;
using Group = Handle<H5Gclose>;
using Attribute = Handle<H5Aclose>;
using PropList = Handle<H5Pclose>;
using Type = Handle<H5Tclose>;

}  // namespace learner::data::h5

// Checks an HDF5 call returning herr_t, hid_t or htri_t (negative = failure) and yields its value.
#define H5_CHECK(call) ::learner::data::h5::check((call), #call, __FILE__, __LINE__)
