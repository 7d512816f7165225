// com.shrink ConvGradInput and ConvGradWeight (1-D to 3-D, groups, fp32) on oneDNN's convolution
// backward-data and backward-weights primitives, built once per shape from a forward-training hint.
// Every tensor is a run-time input here (training), so each argument whose chosen layout is blocked
// goes through a LayoutPort: plain -> blocked before the primitive, blocked -> plain after.
#include "ops/nn/conv.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// The oneDNN view of a Conv's geometry: shapes (grouped weights as {G, M/G, C/G, k...}), strides,
// dilations counted from 0, pads.
struct ConvDescs {
  Shape x, w, w_grouped, y;
  dnnl::memory::dims strides, dil, pl, pr;
  dnnl::memory::desc any(const Shape& s) const { return dnnl::memory::desc(to_dims(s), dt::f32, tag::any); }
  dnnl::convolution_forward::primitive_desc forward_hint(bool bias) const {
    dnnl::memory::desc b = bias ? dnnl::memory::desc({y[1]}, dt::f32, tag::a) : dnnl::memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, any(x),
                                      any(w_grouped), b, any(y), strides, dil, pl, pr);
    return dnnl::convolution_forward::primitive_desc(d, engine());
  }
};

ConvDescs conv_descs(const ops::ConvGeometry& g, const Shape& w) {
  ConvDescs c;
  c.x = {g.batch, g.in_channels};
  c.x.insert(c.x.end(), g.in_spatial.begin(), g.in_spatial.end());
  c.y = g.output_shape();
  c.w = c.w_grouped = w;
  if (g.group > 1) {
    c.w_grouped = {g.group, g.out_channels / g.group};
    c.w_grouped.insert(c.w_grouped.end(), w.begin() + 1, w.end());
  }
  for (size_t i = 0; i < g.kernel.size(); ++i) {
    c.strides.push_back(g.strides[i]);
    c.dil.push_back(g.dilations[i] - 1);
    c.pl.push_back(g.pad_begin[i]);
    c.pr.push_back(g.pad_end[i]);
  }
  return c;
}

class ConvGradInputKernel final : public Kernel {
 public:
  explicit ConvGradInputKernel(const ConvDescs& c) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, c.any(c.x), c.any(c.w_grouped),
                                            c.any(c.y), c.strides, c.dil, c.pl, c.pr);
    dnnl::convolution_backward_data::primitive_desc pd(d, engine(), c.forward_hint(false));
    prim_ = dnnl::convolution_backward_data(pd);
    dy_ = LayoutPort(plain_desc(c.y), pd.diff_dst_desc(), true);
    w_ = LayoutPort(plain_desc(c.w_grouped), pd.weights_desc(), true);
    dx_ = LayoutPort(plain_desc(c.x), pd.diff_src_desc(), false);
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    prim_.execute(stream(), {{DNNL_ARG_DIFF_DST, dy_.in(in[0])}, {DNNL_ARG_WEIGHTS, w_.in(in[1])},
                             {DNNL_ARG_DIFF_SRC, dx_.out(out[0])}});
    dx_.finish(out[0]);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:conv_bwd_data"; }

 private:
  dnnl::convolution_backward_data prim_;
  LayoutPort dy_, w_, dx_;
};

class ConvGradWeightKernel final : public Kernel {
 public:
  ConvGradWeightKernel(const ConvDescs& c, bool bias) : bias_(bias) {
    dnnl::memory::desc b = bias ? dnnl::memory::desc({c.y[1]}, dt::f32, tag::a) : dnnl::memory::desc();
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, c.any(c.x), c.any(c.w_grouped), b,
                                               c.any(c.y), c.strides, c.dil, c.pl, c.pr);
    dnnl::convolution_backward_weights::primitive_desc pd(d, engine(), c.forward_hint(bias));
    prim_ = dnnl::convolution_backward_weights(pd);
    dy_ = LayoutPort(plain_desc(c.y), pd.diff_dst_desc(), true);
    x_ = LayoutPort(plain_desc(c.x), pd.src_desc(), true);
    dw_ = LayoutPort(plain_desc(c.w_grouped), pd.diff_weights_desc(), false);
    if (bias) db_md_ = pd.diff_bias_desc();
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_DIFF_DST, dy_.in(in[0])}, {DNNL_ARG_SRC, x_.in(in[1])}, {DNNL_ARG_DIFF_WEIGHTS, dw_.out(out[0])}};
    if (bias_) args[DNNL_ARG_DIFF_BIAS] = wrap(db_md_, out[1]);
    prim_.execute(stream(), args);
    dw_.finish(out[0]);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:conv_bwd_weights"; }

 private:
  bool bias_;
  dnnl::convolution_backward_weights prim_;
  LayoutPort dy_, x_, dw_;
  dnnl::memory::desc db_md_;
};

// Both ops: (dY, W, X) for the input gradient, (dY, X, W) for the weight gradient.
std::unique_ptr<Kernel> make(const ir::Node& node, std::span<const ops::ValueMeta> in, bool weights) {
  for (const auto& m : in)
    if (m.present() && m.dtype != DType::kFloat32) return nullptr;
  const ops::ValueMeta& x = weights ? in[1] : in[2];
  const ops::ValueMeta& w = weights ? in[2] : in[1];
  const size_t rank = x.shape.size();
  if (rank < 3 || rank > 5 || w.shape.size() != rank) return nullptr;
  const ops::ConvGeometry g = ops::resolve_conv(node, node.attrs_as<ops::ConvAttrs>(), x.shape, w.shape);
  if (numel(g.output_shape()) == 0 || numel(x.shape) == 0 || in[0].shape != g.output_shape()) return nullptr;
  const ConvDescs c = conv_descs(g, w.shape);
  const bool bias = weights && node.outputs.size() > 1 && !node.outputs[1].empty();
  try {
    if (weights) return std::make_unique<ConvGradWeightKernel>(c, bias);
    return std::make_unique<ConvGradInputKernel>(c);
  } catch (const dnnl::error&) {
    return nullptr;  // a geometry this oneDNN build does not take: the reference kernel will
  }
}

std::unique_ptr<Kernel> make_grad_input(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  return make(node, in, false);
}
std::unique_ptr<Kernel> make_grad_weight(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  return make(node, in, true);
}

}  // namespace

std::vector<KernelEntry> conv_backward_kernels() {
  return {{"com.shrink", "ConvGradInput", make_grad_input}, {"com.shrink", "ConvGradWeight", make_grad_weight}};
}

}  // namespace shrink::runtime::onednn
