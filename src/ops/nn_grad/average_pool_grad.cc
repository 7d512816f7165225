// AveragePoolGrad(dY, X) -> dX (com.shrink): AveragePool's gradient. AveragePool's attributes; each
// output's dY is spread evenly over the input taps of its window, divided by the forward kernel's
// divisor (taps inside the padded extent with count_include_pad, else taps inside the input).
#include "ops/nn_grad/grad_util.h"
#include "ops/nn_grad/pool_window.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  return grad::forward_attrs(node, opset, "AveragePool");
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
  const auto& a = node.attrs_as<PoolAttrs>();
  const ConvGeometry g = resolve_pool(node, a, in[1].shape());
  const grad::PoolWindows windows(g);
  const int64_t planes = g.batch * g.in_channels;
  const int64_t in_size = planes ? in[1].numel() / planes : 0, out_size = planes ? in[0].numel() / planes : 0;
  const T* dy = in[0].data<T>();
  T* dx = dx_t.data<T>();
  parallel_for(planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(out_size, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* dyp = dy + p * out_size;
      T* dxp = dx + p * in_size;
      windows.for_each([&](int64_t op, std::span<const int64_t> taps, int64_t padded) {
        const int64_t count = a.count_include_pad ? padded : int64_t(taps.size());
        if (taps.empty() || count == 0) return;
        const T share = T(dyp[op] / T(count));
        for (int64_t r : taps) dxp[r] += share;
      });
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out[0]); });
}

}  // namespace

extern const OpSchema kAveragePoolGrad{.op_type = "AveragePoolGrad", .domain = "com.shrink", .min_inputs = 2,
                                       .max_inputs = 2, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
