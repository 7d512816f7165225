// Shared checks and the strided copy loop of the shape family.
#include "ops/shape/shape_util.h"

#include <algorithm>

namespace shrink::ops {

void require_storable(const ir::Node& node, const ValueMeta& v, int i) {
  SHRINK_CHECK(traits(v.dtype).supported && dtype_size(v.dtype) > 0, node.label(), " input ", i,
               " has unsupported element type ", onnx_type_name(int(v.dtype)));
}

std::vector<int64_t> read_int_list(const ir::Node& node, const Tensor& t, const char* what) {
  SHRINK_CHECK(t.dtype() == DType::kInt64 || t.dtype() == DType::kInt32, node.label(), " ", what,
               " must be int64 or int32, got ", dtype_name(t.dtype()));
  SHRINK_CHECK(t.rank() <= 1, node.label(), " ", what, " must be 1-D, got shape ", shape_str(t.shape()));
  return t.to_int64_vector();
}

int64_t node_axis(const ir::Node& node, int64_t axis, int64_t rank, const char* what) {
  SHRINK_CHECK(axis >= -rank && axis < rank, node.label(), " ", what, " ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> node_axes(const ir::Node& node, std::vector<int64_t> axes, int64_t rank, const char* what) {
  for (auto& a : axes) a = node_axis(node, a, rank, what);
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  SHRINK_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), node.label(), " ", what,
               " repeat an axis");
  return axes;
}

int64_t node_numel(const ir::Node& node, const Shape& shape, const char* what) {
  for (int64_t d : shape)
    SHRINK_CHECK(d >= 0, node.label(), " ", what, " ", shape_str(shape), " has a negative dim");
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    SHRINK_CHECK(n <= kMaxElements / d, node.label(), " ", what, " ", shape_str(shape), " has too many elements");
    n *= d;
  }
  return n;
}

void strided_copy(const Tensor& src, Tensor& dst, int64_t base, std::span<const int64_t> src_strides) {
  const Shape& out = dst.shape();
  const int64_t total = dst.numel();
  if (total == 0) return;
  visit_word(dtype_size(dst.dtype()), [&](auto tag) {
    using U = decltype(tag);
    const U* s = static_cast<const U*>(src.raw());
    U* d = static_cast<U*>(dst.raw());
    if (out.empty()) {
      d[0] = s[base];
      return;
    }
    const int rank = int(out.size());
    const int64_t row = out[size_t(rank - 1)];
    const int64_t step = src_strides[size_t(rank - 1)];
    const int64_t rows = total / row;
    parallel_for(rows, std::max<int64_t>(1, 16384 / row), [&](int64_t r0, int64_t r1) {
      std::vector<int64_t> idx(size_t(rank - 1), 0);
      int64_t off = base;
      for (int64_t k = rank - 2, r = r0; k >= 0; --k) {
        idx[size_t(k)] = r % out[size_t(k)];
        r /= out[size_t(k)];
        off += idx[size_t(k)] * src_strides[size_t(k)];
      }
      for (int64_t r = r0; r < r1; ++r) {
        U* o = d + r * row;
        const U* i = s + off;
        if (step == 1) {
          std::memcpy(o, i, size_t(row) * sizeof(U));
        } else {
          for (int64_t j = 0; j < row; ++j) o[j] = i[j * step];
        }
        for (int64_t k = rank - 2; k >= 0; --k) {
          off += src_strides[size_t(k)];
          if (++idx[size_t(k)] < out[size_t(k)]) break;
          off -= src_strides[size_t(k)] * out[size_t(k)];
          idx[size_t(k)] = 0;
        }
      }
    });
  });
}

}  // namespace shrink::ops
