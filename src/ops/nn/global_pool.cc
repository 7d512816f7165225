// GlobalAveragePool and GlobalMaxPool: one value per (n, c) over all spatial dims; the output keeps
// the rank with every spatial dim 1. Means accumulate in double.
#include <limits>

#include "ops/common.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  SHRINK_CHECK(in[0].shape.size() >= 2, node.label(), " input must have rank >= 2, got ", shape_str(in[0].shape));
  Shape s = in[0].shape;
  for (size_t d = 2; d < s.size(); ++d) s[d] = 1;
  out[0] = ValueMeta{in[0].dtype, s};
  return true;
}

template <bool kMax>
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& x = in[0];
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      const T* src = static_cast<const T*>(x.raw());
      T* dst = static_cast<T*>(out[0].raw());
      parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(size, 1)), [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          const T* row = src + p * size;
          if constexpr (kMax) {
            compute_t<T> m = -std::numeric_limits<compute_t<T>>::infinity();
            for (int64_t i = 0; i < size; ++i) m = std::max(m, compute_t<T>(row[i]));
            dst[p] = T(m);
          } else {
            double s = 0;
            for (int64_t i = 0; i < size; ++i) s += double(row[i]);
            dst[p] = T(compute_t<T>(s / double(size)));
          }
        }
      });
    } else {
      fail_input(node.label(), " unsupported element type ", dtype_name(x.dtype()));
    }
  }, node.label());
}

}  // namespace

extern const OpSchema kGlobalAveragePool{.op_type = "GlobalAveragePool", .infer = infer, .compute = compute<false>};
extern const OpSchema kGlobalMaxPool{.op_type = "GlobalMaxPool", .infer = infer, .compute = compute<true>};

}  // namespace shrink::ops
