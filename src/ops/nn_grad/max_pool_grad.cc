// MaxPoolGrad(dY, X) -> dX (com.shrink): MaxPool's gradient. MaxPool's attributes; the argmax of
// each window is recomputed from X with the forward kernel's rule (first maximum in window order, a
// NaN wins over numbers) and dY is accumulated onto it. Planes (n, c) run in parallel.
#include <cmath>

#include "ops/nn_grad/grad_util.h"
#include "ops/nn_grad/pool_window.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  return grad::forward_attrs(node, opset, "MaxPool");
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  grad::require_grad_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  const ConvGeometry g = resolve_pool(node, node.attrs_as<PoolAttrs>(), in[1].shape);
  grad::require_shape(node, in[0], 0, g.output_shape(), "dY");
  out[0] = ValueMeta{in[1].dtype, in[1].shape};
  return true;
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, Tensor& dx_t) {
  const ConvGeometry g = resolve_pool(node, node.attrs_as<PoolAttrs>(), in[1].shape());
  const grad::PoolWindows windows(g);
  const int64_t planes = g.batch * g.in_channels;
  const int64_t in_size = planes ? in[1].numel() / planes : 0, out_size = planes ? in[0].numel() / planes : 0;
  const T* dy = in[0].data<T>();
  const T* x = in[1].data<T>();
  T* dx = dx_t.data<T>();
  parallel_for(planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(out_size, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in_size;
      const T* dyp = dy + p * out_size;
      T* dxp = dx + p * in_size;
      windows.for_each([&](int64_t op, std::span<const int64_t> taps, int64_t) {
        int64_t best = -1;
        for (int64_t r : taps) {
          const T v = xp[r];
          if (best < 0 || v > xp[best] || (std::isnan(v) && !std::isnan(xp[best]))) best = r;
        }
        if (best >= 0) dxp[best] += dyp[op];
      });
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out[0]); });
}

}  // namespace

extern const OpSchema kMaxPoolGrad{.op_type = "MaxPoolGrad", .domain = "com.shrink", .min_inputs = 2,
                                   .max_inputs = 2, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
