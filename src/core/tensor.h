// Tensor: dtype + shape + shared, 64-byte aligned storage (row-major, dense).
// Copies share storage; clone() makes a deep copy. Storage may come from a BufferPool.
//   Tensor t(DType::kFloat32, {2, 3});  t.data<float>()[0] = 1.f;
#pragma once
#include <cstddef>
#include <memory>
#include <span>

#include "core/dtype.h"
#include "core/shape.h"

namespace shrink {

struct Buffer {
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data = nullptr;
  size_t bytes = 0;
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage; fails (bad input) when the shape is invalid or too large.
  Tensor(DType dtype, Shape shape);
  // Uses `buffer` (must hold at least nbytes) as storage.
  Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer);

  template <class T>
  static Tensor scalar(T v) {
    Tensor t(dtype_of<T>, {});
    *t.data<T>() = v;
    return t;
  }
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, Shape shape) {
    Tensor t(dtype_of<T>, std::move(shape));
    SHRINK_ASSERT(size_t(t.numel()) == v.size(), "from_vector size mismatch");
    for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = v[i];
    return t;
  }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return int64_t(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[size_t(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return size_t(numel_) * dtype_size(dtype_); }

  void* raw() { return buffer_ ? buffer_->data : nullptr; }
  const void* raw() const { return buffer_ ? buffer_->data : nullptr; }
  template <class T> T* data() {
    SHRINK_ASSERT(dtype_of<T> == dtype_, "tensor is ", dtype_name(dtype_), " not ", dtype_name(dtype_of<T>));
    return static_cast<T*>(raw());
  }
  template <class T> const T* data() const {
    SHRINK_ASSERT(dtype_of<T> == dtype_, "tensor is ", dtype_name(dtype_), " not ", dtype_name(dtype_of<T>));
    return static_cast<const T*>(raw());
  }
  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(raw()), nbytes()}; }
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }

  Tensor clone() const;
  // Same storage, new shape with the same element count.
  Tensor reshaped(Shape shape) const;
  // Element i converted to double / int64 (any dtype); for small shape-like tensors.
  double as_double(int64_t i) const;
  int64_t as_int64(int64_t i) const;
  std::vector<int64_t> to_int64_vector() const;
  // Bitwise equality of dtype, shape and data.
  bool bit_equal(const Tensor& other) const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  std::shared_ptr<Buffer> buffer_;
};

}  // namespace shrink
