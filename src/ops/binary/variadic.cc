// Min, Max, Sum, Mean: 1..N inputs of one type with multi-way numpy broadcasting. Results
// accumulate in compute_t (float for 16-bit floats) and are rounded once at the store. Min/Max
// take every numeric type and propagate NaN; Sum takes numeric types; Mean takes float types.
#include <limits>

#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

constexpr int kMaxVariadicInputs = 1 << 16;

bool infer_common(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  Shape shape = in[0].shape;
  for (size_t i = 1; i < in.size(); ++i) {
    require_same_dtype(node, in, 0, int(i));
    shape = broadcast_shapes(shape, in[i].shape);
  }
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " inputs must be numeric, got bool");
  out[0] = ValueMeta{in[0].dtype, shape};
  return true;
}

bool infer_mean(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  return infer_common(node, in, out);
}

enum class Fold { kMin, kMax, kSum, kMean };

template <class T, Fold kFold>
void fold_inputs(std::span<const Tensor> in, Tensor& out) {
  using C = compute_t<T>;
  const int64_t n = out.numel();
  std::vector<C> acc(size_t(n), C(0));
  Shape shapes[2] = {out.shape(), {}};
  for (size_t k = 0; k < in.size(); ++k) {
    const T* src = static_cast<const T*>(in[k].raw());
    shapes[1] = in[k].shape();
    for_each_broadcast_row(out.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
      C* a = acc.data() + o;
      const T* s = src + off[1];
      for (int64_t i = 0; i < len; ++i) {
        const C v = C(s[i * step[1]]);
        if (k == 0) a[i] = v;
        else if constexpr (kFold == Fold::kMin) a[i] = nan_min(a[i], v);
        else if constexpr (kFold == Fold::kMax) a[i] = nan_max(a[i], v);
        else a[i] = wrap_add(a[i], v);
      }
    });
  }
  T* dst = static_cast<T*>(out.raw());
  if constexpr (kFold == Fold::kMean) {
    const C count = C(in.size());
    for (int64_t i = 0; i < n; ++i) dst[i] = T(acc[size_t(i)] / count);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = T(acc[size_t(i)]);
  }
}

template <Fold kFold>
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool> || (kFold == Fold::kMean && !std::is_floating_point_v<compute_t<T>>))
      fail_input(node.label(), " needs float inputs");
    else
      fold_inputs<T, kFold>(in, out[0]);
  }, node.label());
}

}  // namespace

extern const OpSchema kMin{.op_type = "Min", .min_inputs = 1, .max_inputs = kMaxVariadicInputs,
                           .infer = infer_common, .compute = compute<Fold::kMin>};
extern const OpSchema kMax{.op_type = "Max", .min_inputs = 1, .max_inputs = kMaxVariadicInputs,
                           .infer = infer_common, .compute = compute<Fold::kMax>};
extern const OpSchema kSum{.op_type = "Sum", .min_inputs = 1, .max_inputs = kMaxVariadicInputs,
                           .infer = infer_common, .compute = compute<Fold::kSum>};
extern const OpSchema kMean{.op_type = "Mean", .min_inputs = 1, .max_inputs = kMaxVariadicInputs,
                            .infer = infer_mean, .compute = compute<Fold::kMean>};

}  // namespace shrink::ops
