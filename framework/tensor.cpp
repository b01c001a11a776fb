// Tensor factories, accessors, device copies and argument checks.
#include "framework/tensor.h"

#include "framework/autograd.h"

namespace learner {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape)
    LEARNER_CHECK(s >= 0, "cannot create a tensor of shape ", shape_str(shape), ": negative size");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  zero_bytes(t.raw_data(), device, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  std::vector<float> host(shape_numel(shape), value);
  return from_vector(host, shape, device);
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  LEARNER_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "from_vector: ",
                values.size(), " values do not fill shape ", shape_str(shape));
  Tensor t = empty(shape, DTypeOf<T>::value, device);
  copy_bytes(t.raw_data(), device, values.data(), Device::cpu(), values.size() * sizeof(T));
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int32_t>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&, Device);

TensorImpl& Tensor::impl() const {
  LEARNER_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int d) const { return impl().shape[normalize_dim(d, dim(), "size")]; }

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return str(dtype_name(dtype()), shape_str(shape()), " on ", device().str());
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset_bytes;
}

template <typename T>
T* Tensor::data() const {
  LEARNER_CHECK(dtype() == DTypeOf<T>::value, "data<", dtype_name(DTypeOf<T>::value),
                ">() called on a ", describe(), " tensor");
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template uint8_t* Tensor::data<uint8_t>() const;
template int32_t* Tensor::data<int32_t>() const;
template int64_t* Tensor::data<int64_t>() const;

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), dtype(), target);
  copy_bytes(out.raw_data(), target, raw_data(), device(), nbytes());
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_bytes(out.raw_data(), device(), raw_data(), device(), nbytes());
  return out;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  LEARNER_CHECK(dtype() == DTypeOf<T>::value, "to_vector<", dtype_name(DTypeOf<T>::value),
                ">() called on a ", describe(), " tensor");
  std::vector<T> host(numel());
  copy_bytes(host.data(), Device::cpu(), raw_data(), device(), nbytes());
  return host;
}
template std::vector<float> Tensor::to_vector() const;
template std::vector<uint8_t> Tensor::to_vector() const;
template std::vector<int32_t> Tensor::to_vector() const;
template std::vector<int64_t> Tensor::to_vector() const;

float Tensor::item() const {
  LEARNER_CHECK(numel() == 1, "item() needs a one-element tensor, got ", describe());
  return to_vector<float>()[0];
}

Tensor& Tensor::set_requires_grad(bool on) {
  LEARNER_CHECK(!on || dtype() == DType::F32, "only f32 tensors can require grad, got ", describe());
  LEARNER_CHECK(is_leaf(), "set_requires_grad: only leaf tensors (parameters, inputs) can be "
                           "marked; this one was computed by '", impl().grad_fn->op, "'");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset_bytes = impl_->offset_bytes;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::view_as_shape(const Shape& new_shape) const {
  LEARNER_CHECK(shape_numel(new_shape) == numel(), "view: cannot view ", describe(), " as ",
                shape_str(new_shape), " (", shape_numel(new_shape), " elements)");
  Tensor out = detach();
  out.impl().shape = new_shape;
  return out;
}

void Tensor::backward(const Tensor& grad_output) const { run_backward(*this, grad_output); }

void check_defined(const Tensor& t, const char* op, const char* arg) {
  LEARNER_CHECK(t.defined(), op, ": argument '", arg, "' is an undefined tensor");
}

void check_dtype(const Tensor& t, DType dtype, const char* op, const char* arg) {
  check_defined(t, op, arg);
  LEARNER_CHECK(t.dtype() == dtype, op, ": argument '", arg, "' must be ", dtype_name(dtype),
                ", got ", t.describe());
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  LEARNER_CHECK(a.device() == b.device(), op, ": tensors are on different devices (",
                a.device().str(), " and ", b.device().str(), "); move one with .to(device)");
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  LEARNER_CHECK(a.shape() == b.shape(), op, ": shapes differ: ", shape_str(a.shape()), " and ",
                shape_str(b.shape()));
}

void check_rank(const Tensor& t, int rank, const char* op, const char* arg) {
  check_defined(t, op, arg);
  LEARNER_CHECK(t.dim() == rank, op, ": argument '", arg, "' must have rank ", rank, ", got ",
                t.describe());
}

}  // namespace learner
