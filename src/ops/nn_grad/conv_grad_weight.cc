// ConvGradWeight(dY, X, W) -> (dW, [dB]) (com.shrink): the gradient of Conv with respect to its
// weight and bias. Conv's attributes; W supplies only dW's shape. The geometry is that of a Conv from
// X to dY with W's shape, nothing else (ConvTranspose's weight gradient uses it with X and dY
// swapped). Reference kernel per group: dW_g += dY_g * im2col(X)^T summed over images in order.
#include <algorithm>

#include "ops/nn/conv_kernel.h"
#include "ops/nn_grad/grad_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  return grad::forward_attrs(node, opset, "Conv");
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  grad::require_grad_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  require_same_dtype(node, in, 0, 2);
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[1].shape, in[2].shape);
  grad::require_shape(node, in[0], 0, g.output_shape(), "dY");
  out[0] = ValueMeta{in[2].dtype, in[2].shape};
  if (out.size() > 1) out[1] = ValueMeta{in[0].dtype, Shape{g.out_channels}};
  return true;
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[1].shape(), in[2].shape());
  const int64_t G = g.group, cg = g.in_channels / G, mg = g.out_channels / G;
  const int64_t kk = conv_detail::prod(g.kernel), kdim = cg * kk;
  const int64_t in_size = conv_detail::prod(g.in_spatial), out_size = conv_detail::prod(g.out_spatial);
  const T* dy = in[0].data<T>();
  const T* x = in[1].data<T>();
  if (out.size() > 1 && out[1].defined()) {
    T* db = out[1].data<T>();
    parallel_for(g.out_channels, 1, [&](int64_t m0, int64_t m1) {
      for (int64_t m = m0; m < m1; ++m) {
        double s = 0;
        for (int64_t n = 0; n < g.batch; ++n)
          for (int64_t i = 0; i < out_size; ++i) s += double(dy[(n * g.out_channels + m) * out_size + i]);
        db[m] = T(s);
      }
    });
  }
  if (in_size == 0 || out_size == 0 || mg == 0 || kdim == 0) return;
  T* dw = out[0].data<T>();
  const auto table = grad::conv_tap_table(g);
  std::vector<T> colt(size_t(out_size * kdim));  // im2col(X)^T: {out_size, kdim}
  for (int64_t grp = 0; grp < G; ++grp)
    for (int64_t n = 0; n < g.batch; ++n) {
      std::fill(colt.begin(), colt.end(), T(0));
      const T* xg = x + (n * g.in_channels + grp * cg) * in_size;
      parallel_for(cg, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          const T* xc = xg + c * in_size;
          T* col = colt.data() + c * kk;
          grad::for_each_conv_tap(g, table, [&](int64_t k, int64_t o, int64_t i) { col[o * kdim + k] = xc[i]; });
        }
      });
      conv_detail::gemm_tiles<T>(true, mg, kdim, out_size, dy + (n * g.out_channels + grp * mg) * out_size, out_size,
                                 colt.data(), kdim, dw + grp * mg * kdim, kdim);
    }
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out); });
}

}  // namespace

extern const OpSchema kConvGradWeight{.op_type = "ConvGradWeight", .domain = "com.shrink", .min_inputs = 3,
                                      .max_inputs = 3, .max_outputs = 2, .parse = parse, .infer = infer,
                                      .compute = compute};

}  // namespace shrink::ops
