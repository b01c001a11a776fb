// Tensor: a shape, a dtype and a contiguous span of a Storage on one device, plus the
// autograd fields (requires_grad, grad, grad_fn). Copying a Tensor copies a handle;
// views (reshape, detach, slices of dim 0) share storage.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/device.h"
#include "framework/dtype.h"
#include "base/error.h"
#include "framework/shape.h"
#include "framework/storage.h"

namespace learner {

struct Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset_bytes = 0;
  Shape shape;
  DType dtype = DType::F32;
  // Autograd. A leaf has requires_grad and no grad_fn; an op result has a grad_fn.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories. Values are written on the host and copied once to the device.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, Device device = Device::cpu()) { return full(shape, 1.f, device); }
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu()) { return full({}, value, device); }

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int dim() const { return static_cast<int>(impl().shape.size()); }
  int64_t size(int d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  size_t nbytes() const { return numel() * dtype_size(impl().dtype); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  std::string describe() const;  // "f32[8, 3] on cpu", for messages

  // Raw element pointer, checked against T. Device pointers for CUDA tensors.
  template <typename T>
  T* data() const;
  void* raw_data() const;

  // Copies (never views) to another device; the same tensor when already there.
  Tensor to(Device device) const;
  Tensor clone() const;  // a fresh copy with no autograd history
  // Host copy of the values, from any device.
  template <typename T = float>
  std::vector<T> to_vector() const;
  float item() const;  // the single value of a one-element f32 tensor

  // Autograd.
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool on);
  Tensor grad() const { return Tensor(impl().grad); }
  void set_grad(const Tensor& g) { impl().grad = g.impl_; }
  void zero_grad() { impl().grad.reset(); }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // Back-propagates from this tensor. With no argument it must hold a single element
  // (the gradient of itself is 1); otherwise grad_output has its shape.
  void backward(const Tensor& grad_output = Tensor()) const;
  // A tensor sharing this storage with no autograd history.
  Tensor detach() const;
  // A view with another shape of the same number of elements (no copy, no autograd).
  Tensor view_as_shape(const Shape& shape) const;

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Checks used by ops; each throws learner::Error naming the op and what was found.
void check_defined(const Tensor& t, const char* op, const char* arg);
void check_dtype(const Tensor& t, DType dtype, const char* op, const char* arg);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_same_shape(const Tensor& a, const Tensor& b, const char* op);
void check_rank(const Tensor& t, int rank, const char* op, const char* arg);

}  // namespace learner
