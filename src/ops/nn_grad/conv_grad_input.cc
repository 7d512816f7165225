// ConvGradInput(dY, W, X) -> dX (com.shrink): the gradient of Conv with respect to its input X.
// Conv's attributes; X supplies only dX's shape and dtype. Reference kernel per (image, group):
// dcol = W_g^T * dY_g (GEMM), then col2im scatters dcol onto dX along the conv's taps.
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
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[2].shape, in[1].shape);
  grad::require_shape(node, in[0], 0, g.output_shape(), "dY");
  out[0] = ValueMeta{in[2].dtype, in[2].shape};
  return true;
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, Tensor& dx_t) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[2].shape(), in[1].shape());
  const int64_t G = g.group, cg = g.in_channels / G, mg = g.out_channels / G;
  const int64_t kk = conv_detail::prod(g.kernel), kdim = cg * kk;
  const int64_t in_size = conv_detail::prod(g.in_spatial), out_size = conv_detail::prod(g.out_spatial);
  if (in_size == 0 || out_size == 0 || mg == 0 || kdim == 0) return;
  const T* dy = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* dx = dx_t.data<T>();
  // W_g^T: {G, kdim, mg}.
  std::vector<T> wt(size_t(G * kdim * mg));
  for (int64_t grp = 0; grp < G; ++grp)
    for (int64_t m = 0; m < mg; ++m)
      for (int64_t r = 0; r < kdim; ++r) wt[size_t((grp * kdim + r) * mg + m)] = w[(grp * mg + m) * kdim + r];
  const auto table = grad::conv_tap_table(g);
  parallel_for(g.batch * G, 1, [&](int64_t p0, int64_t p1) {
    std::vector<T> dcol;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / G, grp = p % G;
      dcol.assign(size_t(kdim * out_size), T(0));
      gemm_accumulate(kdim, out_size, mg, wt.data() + grp * kdim * mg, mg,
                      dy + (n * g.out_channels + grp * mg) * out_size, out_size, dcol.data(), out_size);
      T* dxg = dx + (n * g.in_channels + grp * cg) * in_size;
      for (int64_t c = 0; c < cg; ++c) {
        T* dxc = dxg + c * in_size;
        const T* dc = dcol.data() + c * kk * out_size;
        grad::for_each_conv_tap(g, table, [&](int64_t k, int64_t o, int64_t i) { dxc[i] += dc[k * out_size + o]; });
      }
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out[0]); });
}

}  // namespace

extern const OpSchema kConvGradInput{.op_type = "ConvGradInput", .domain = "com.shrink", .min_inputs = 3,
                                     .max_inputs = 3, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
