// Tensor storage and small conversions.
#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace shrink {

Buffer::Buffer(size_t n) : bytes(n) {
  size_t alloc = (n + 63) / 64 * 64;
  if (alloc == 0) alloc = 64;
  data = std::aligned_alloc(64, alloc);
  if (!data) fail_input("out of memory allocating ", n, " bytes");
}

Buffer::~Buffer() { std::free(data); }

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  SHRINK_CHECK(traits(dtype).supported, "unsupported element type ", onnx_type_name(int(dtype)));
  numel_ = checked_numel(shape_);
  SHRINK_CHECK(nbytes() <= kMaxTensorBytes, "tensor of shape ", shape_str(shape_), " (", nbytes(),
               " bytes) exceeds the ", kMaxTensorBytes, "-byte limit");
  buffer_ = std::make_shared<Buffer>(nbytes());
  std::memset(buffer_->data, 0, nbytes());
}

Tensor::Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer)
    : dtype_(dtype), shape_(std::move(shape)), buffer_(std::move(buffer)) {
  numel_ = checked_numel(shape_);
  SHRINK_ASSERT(buffer_ && buffer_->bytes >= nbytes(), "buffer too small for tensor");
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.numel_ = checked_numel(shape);
  SHRINK_ASSERT(t.numel_ == numel_, "reshape changes element count");
  t.shape_ = std::move(shape);
  return t;
}

double Tensor::as_double(int64_t i) const {
  return visit_dtype(dtype_, [&](auto tag) -> double {
    using T = decltype(tag);
    return double(static_cast<compute_t<T>>(static_cast<const T*>(raw())[i]));
  });
}

int64_t Tensor::as_int64(int64_t i) const {
  return visit_dtype(dtype_, [&](auto tag) -> int64_t {
    using T = decltype(tag);
    return int64_t(static_cast<compute_t<T>>(static_cast<const T*>(raw())[i]));
  });
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) v[size_t(i)] = as_int64(i);
  return v;
}

bool Tensor::bit_equal(const Tensor& o) const {
  if (dtype_ != o.dtype_ || shape_ != o.shape_) return false;
  return nbytes() == 0 || std::memcmp(raw(), o.raw(), nbytes()) == 0;
}

}  // namespace shrink
