// Range: 1-D [start, start+delta, ...) up to limit, from three scalars of one numeric type.
// The count max(ceil((limit-start)/delta), 0) is computed without overflow (128-bit for
// integers, double for floats) and bounded like any tensor size.
#include <cmath>

#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

int64_t count_of(const ir::Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta) {
  if (is_float(start.dtype())) {
    const double b = start.as_double(0), e = limit.as_double(0), d = delta.as_double(0);
    SHRINK_CHECK(d != 0 && std::isfinite(b) && std::isfinite(e) && std::isfinite(d), node.label(),
                 " needs finite start/limit and a non-zero delta");
    const double n = std::ceil((e - b) / d);
    SHRINK_CHECK(n <= double(kMaxElements), node.label(), " would produce ", n, " elements");
    return n > 0 ? int64_t(n) : 0;
  }
  const __int128 b = start.as_int64(0), e = limit.as_int64(0), d = delta.as_int64(0);
  SHRINK_CHECK(d != 0, node.label(), " delta is 0");
  const __int128 diff = e - b;
  if ((diff > 0) != (d > 0) || diff == 0) return 0;
  const __int128 n = (diff + d + (d > 0 ? -1 : 1)) / d;
  SHRINK_CHECK(n <= kMaxElements, node.label(), " would produce more than ", kMaxElements, " elements");
  return int64_t(n);
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  for (int i = 0; i < 3; ++i) {
    SHRINK_CHECK(in[size_t(i)].dtype != DType::kBool && traits(in[size_t(i)].dtype).supported, node.label(),
                 " input ", i, " must be numeric, got ", onnx_type_name(int(in[size_t(i)].dtype)));
    require_same_dtype(node, in, 0, i);
    SHRINK_CHECK(numel(in[size_t(i)].shape) == 1 && in[size_t(i)].shape.size() <= 1, node.label(), " input ", i,
                 " must be a scalar, got ", shape_str(in[size_t(i)].shape));
  }
  for (int i = 0; i < 3; ++i)
    if (!in[size_t(i)].value) return false;
  out[0] = {in[0].dtype, {count_of(node, *in[0].value, *in[1].value, *in[2].value)}};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const int64_t n = out[0].numel();
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out[0].data<T>();
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      const double b = in[0].as_double(0), d = in[2].as_double(0);
      for (int64_t i = 0; i < n; ++i) o[i] = T(compute_t<T>(b + double(i) * d));
    } else {
      // Unsigned arithmetic: wrap-around is defined, and every produced value lies in [start, limit).
      const uint64_t b = uint64_t(in[0].as_int64(0)), d = uint64_t(in[2].as_int64(0));
      for (int64_t i = 0; i < n; ++i) o[i] = T(int64_t(b + uint64_t(i) * d));
    }
  }, node.label());
}

}  // namespace

extern const OpSchema kRange{.op_type = "Range", .min_inputs = 3, .max_inputs = 3, .since_opset = 11,
                             .infer = infer, .compute = compute};

}  // namespace shrink::ops
