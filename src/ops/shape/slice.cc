// Slice (opset 10+: starts/ends/axes/steps are inputs): per axis, start/end are made positive,
// clamped (to [0, d] for positive steps, [-1, d-1] for negative ones) and the count is
// ceil((end - start) / step). The kernel is a strided copy from the first selected element.
#include <algorithm>

#include "ops/shape/shape_util.h"

namespace shrink::ops {

SlicePlan plan_slice(const ir::Node& node, const Shape& s, const Tensor& starts_t, const Tensor& ends_t,
                const Tensor* axes_t, const Tensor* steps_t) {
  const int64_t rank = int64_t(s.size());
  auto starts = read_int_list(node, starts_t, "starts");
  auto ends = read_int_list(node, ends_t, "ends");
  SHRINK_CHECK(starts.size() == ends.size(), node.label(), " starts and ends have different lengths");
  std::vector<int64_t> axes;
  if (axes_t) {
    axes = read_int_list(node, *axes_t, "axes");
  } else {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  }
  SHRINK_CHECK(axes.size() == starts.size(), node.label(), " axes and starts have different lengths");
  axes = node_axes(node, axes, rank);
  std::vector<int64_t> steps(starts.size(), 1);
  if (steps_t) steps = read_int_list(node, *steps_t, "steps");
  SHRINK_CHECK(steps.size() == starts.size(), node.label(), " steps and starts have different lengths");

  SlicePlan p;
  p.out = s;
  auto in_strides = strides_of(s);
  p.strides = in_strides;
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t ax = size_t(axes[i]);
    const int64_t d = s[ax], step = steps[i];
    SHRINK_CHECK(step != 0, node.label(), " step 0 on axis ", ax);
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += d;  // no overflow: d >= 0 and b < 0
    if (e < 0) e += d;
    int64_t count;
    if (step > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      count = e > b ? (e - b - 1) / step + 1 : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      // -step overflows only for INT64_MIN, whose count is 1 whenever b > e.
      count = b > e ? (step == INT64_MIN ? 1 : (b - e - 1) / -step + 1) : 0;
    }
    p.out[ax] = count;
    if (count > 0) p.base += b * in_strides[ax];
    // A step larger than the dim is only used for the first element: keep the stride finite.
    p.strides[ax] = count > 1 ? in_strides[ax] * step : 0;
  }
  return p;
}

namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i].present() && !in[i].value) return false;
  const bool axes = has_input(in, 3), steps = has_input(in, 4);
  SlicePlan p = plan_slice(node, in[0].shape, *in[1].value, *in[2].value, axes ? in[3].value : nullptr,
                      steps ? in[4].value : nullptr);
  out[0] = {in[0].dtype, p.out};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  SlicePlan p = plan_slice(node, in[0].shape(), in[1], in[2], has_input(in, 3) ? &in[3] : nullptr,
                      has_input(in, 4) ? &in[4] : nullptr);
  strided_copy(in[0], out[0], p.base, p.strides);
}

}  // namespace

extern const OpSchema kSlice{.op_type = "Slice", .min_inputs = 3, .max_inputs = 5, .since_opset = 10,
                             .infer = infer, .compute = compute};

}  // namespace shrink::ops
