// GlobalAveragePoolGrad(dY, X) -> dX (com.shrink): GlobalAveragePool's gradient; dY {N, C, 1...}
// is spread evenly over each (n, c) plane of X's shape.
#include <algorithm>

#include "ops/nn_grad/grad_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  grad::require_grad_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  const Shape& x = in[1].shape;
  SHRINK_CHECK(x.size() >= 2, node.label(), " input X must have rank >= 2, got ", shape_str(x));
  Shape y = x;
  for (size_t d = 2; d < y.size(); ++d) y[d] = 1;
  grad::require_shape(node, in[0], 0, y, "dY");
  out[0] = ValueMeta{in[1].dtype, x};
  return true;
}

template <class T>
void run(std::span<const Tensor> in, Tensor& dx_t) {
  const int64_t planes = in[0].numel(), size = planes ? in[1].numel() / planes : 0;
  const T* dy = in[0].data<T>();
  T* dx = dx_t.data<T>();
  parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(size, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) std::fill_n(dx + p * size, size, T(dy[p] / T(size)));
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(in, out[0]); });
}

}  // namespace

extern const OpSchema kGlobalAveragePoolGrad{.op_type = "GlobalAveragePoolGrad", .domain = "com.shrink",
                                             .min_inputs = 2, .max_inputs = 2, .infer = infer, .compute = compute};

}  // namespace shrink::ops
