// ConvTranspose (1D/2D/3D, groups, dilations, strides, pads, output_padding, output_shape, auto_pad).
// Reference kernel: per (image, group) a GEMM col = W^T * X, then col2im scatter-adds each column
// into the output; scatter is split over output channels so threads never write the same element.
#include "ops/common.h"
#include "ops/nn/conv.h"
#include "ops/nn/conv_kernel.h"

namespace shrink::ops {
namespace {

using namespace conv_detail;

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConvTransposeAttrs>();
  parse_conv_common(node, r, *a);
  a->output_padding = r.get_ints("output_padding");
  a->output_shape = r.get_ints("output_shape");
  r.done();
  for (int64_t v : a->output_padding) SHRINK_CHECK(v >= 0, node.label(), " output_padding must be >= 0");
  for (int64_t v : a->output_shape) SHRINK_CHECK(v >= 1, node.label(), " output_shape must be positive");
  for (const auto* v : {&a->output_padding, &a->output_shape})
    for (int64_t x : *v) SHRINK_CHECK(x <= (int64_t(1) << 40), node.label(), " attribute value ", x, " is too large");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  ConvGeometry g = resolve_conv_transpose(node, node.attrs_as<ConvTransposeAttrs>(), in[0].shape, in[1].shape);
  if (in.size() > 2 && in[2].present()) {
    require_same_dtype(node, in, 0, 2);
    SHRINK_CHECK(in[2].shape == Shape{g.out_channels}, node.label(), " bias B has shape ", shape_str(in[2].shape),
                 ", expected {", g.out_channels, "}");
  }
  Shape s = g.output_shape();
  checked_numel(s, "ConvTranspose output");
  // The reference kernel materializes (M/group * kernel) x input-positions columns per image.
  int64_t cols = std::max<int64_t>(1, g.out_channels / g.group);
  for (int64_t v : g.kernel) cols = v > (int64_t(1) << 40) / cols ? (int64_t(1) << 41) : cols * v;
  for (int64_t v : g.in_spatial) cols = v != 0 && cols > (int64_t(1) << 40) / v ? (int64_t(1) << 41) : cols * v;
  SHRINK_CHECK(cols <= (int64_t(1) << 32), node.label(), " is too large for the reference kernel (",
               cols, " column elements)");
  out[0] = ValueMeta{in[0].dtype, s};
  return true;
}

// Adds col rows [m_begin*kk, m_end*kk) (channel m, kernel offset) into output channels of one group.
template <class Acc>
void col2im(const ConvGeometry& g, const Acc* col, int64_t m_begin, int64_t m_end, Acc* y) {
  const size_t n = g.kernel.size();
  const int64_t kk = prod(g.kernel), in_size = prod(g.in_spatial), out_size = prod(g.out_spatial);
  std::vector<int64_t> out_stride(n, 1), in_block(n, 1), kidx(n);
  for (size_t d = n - 1; d > 0; --d) {
    out_stride[d - 1] = out_stride[d] * g.out_spatial[d];
    in_block[d - 1] = in_block[d] * g.in_spatial[d];
  }
  for (int64_t m = m_begin; m < m_end; ++m) {
    Acc* ym = y + m * out_size;
    for (int64_t kr = 0; kr < kk; ++kr) {
      for (int64_t r = kr, d = int64_t(n) - 1; d >= 0; --d) {
        kidx[size_t(d)] = r % g.kernel[size_t(d)];
        r /= g.kernel[size_t(d)];
      }
      const Acc* src = col + (m * kk + kr) * in_size;
      auto scatter = [&](auto&& self, size_t d, int64_t out_off, const Acc* s_in) -> void {
        const int64_t s = g.strides[d], koff = kidx[d] * g.dilations[d] - g.pad_begin[d], lim = g.out_spatial[d];
        for (int64_t i = 0; i < g.in_spatial[d]; ++i) {
          const int64_t o = i * s + koff;
          if (o < 0 || o >= lim) continue;
          if (d + 1 == n) ym[out_off + o] += s_in[i];
          else self(self, d + 1, out_off + o * out_stride[d], s_in + i * in_block[d]);
        }
      };
      scatter(scatter, 0, 0, src);
    }
  }
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, Tensor& y) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const ConvGeometry g =
      resolve_conv_transpose(node, node.attrs_as<ConvTransposeAttrs>(), in[0].shape(), in[1].shape());
  AccView<T, Acc> x(in[0]), w(in[1]);
  AccOut<T, Acc> out(y);
  const int64_t G = g.group, cg = g.in_channels / G, mg = g.out_channels / G;
  const int64_t kk = prod(g.kernel), rows = mg * kk;
  const int64_t in_size = prod(g.in_spatial), out_size = prod(g.out_spatial);
  if (in.size() > 2 && in[2].defined()) {
    AccView<T, Acc> b(in[2]);
    for (int64_t n = 0; n < g.batch; ++n)
      for (int64_t m = 0; m < g.out_channels; ++m)
        std::fill_n(out.data() + (n * g.out_channels + m) * out_size, out_size, b.data()[m]);
  }
  // W^T per group: wt[grp][row][c] so that the GEMM reads rows contiguously.
  std::vector<Acc> wt(size_t(G * rows * cg));
  for (int64_t grp = 0; grp < G; ++grp)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t r = 0; r < rows; ++r)
        wt[size_t((grp * rows + r) * cg + c)] = w.data()[(grp * cg + c) * rows + r];
  const int64_t pairs = g.batch * G;
  auto one_pair = [&](int64_t p, std::vector<Acc>& col, bool inner_parallel) {
    const int64_t n = p / G, grp = p % G;
    col.assign(size_t(rows * in_size), Acc(0));
    gemm_tiles<Acc>(inner_parallel, rows, in_size, cg, wt.data() + grp * rows * cg, cg,
                    x.data() + (n * g.in_channels + grp * cg) * in_size, in_size, col.data(), in_size);
    Acc* yg = out.data() + (n * g.out_channels + grp * mg) * out_size;
    if (inner_parallel) parallel_for(mg, 1, [&](int64_t b, int64_t e) { col2im(g, col.data(), b, e, yg); });
    else col2im(g, col.data(), 0, mg, yg);
  };
  if (pairs >= num_threads() && pairs > 1) {
    parallel_for(pairs, 1, [&](int64_t b, int64_t e) {
      std::vector<Acc> col;
      for (int64_t p = b; p < e; ++p) one_pair(p, col, false);
    });
  } else {
    std::vector<Acc> col;
    for (int64_t p = 0; p < pairs; ++p) one_pair(p, col, true);
  }
  out.finish();
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  switch (in[0].dtype()) {
    case DType::kFloat32: return run<float>(node, in, out[0]);
    case DType::kFloat64: return run<double>(node, in, out[0]);
    case DType::kFloat16: return run<Half>(node, in, out[0]);
    case DType::kBFloat16: return run<BFloat16>(node, in, out[0]);
    default: fail_input(node.label(), " unsupported element type ", dtype_name(in[0].dtype()));
  }
}

}  // namespace

extern const OpSchema kConvTranspose{.op_type = "ConvTranspose", .min_inputs = 2, .max_inputs = 3,
                                     .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
