// Conv (1-D to 3-D, groups, dilations, padding) on oneDNN's convolution primitive (fp32). Constant
// weights and bias are reordered once into the layout the chosen implementation wants; weights fed
// as graph inputs (training) are reordered on every run. Activations in the graph's plain NCHW
// layout are reordered in and out around the primitive when it wants a blocked layout; the
// com.shrink BlockedFusedConv nodes of passes/block_layout.cc take and give channel-blocked tensors
// (ops/internal/blocked_layout.h), so that no reorder runs between consecutive convolutions.
// Fused activations and a fused residual Add come from com.shrink FusedConv nodes (ops/internal).
#include <cstring>

#include "ops/internal/blocked_layout.h"
#include "ops/internal/fused_conv.h"
#include "ops/nn/conv.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dnnl::algorithm eltwise_algorithm(ops::Activation act) {
  switch (act) {
    case ops::Activation::kRelu: return dnnl::algorithm::eltwise_relu;
    case ops::Activation::kLeakyRelu: return dnnl::algorithm::eltwise_relu;
    case ops::Activation::kClip: return dnnl::algorithm::eltwise_clip;
    case ops::Activation::kSigmoid: return dnnl::algorithm::eltwise_logistic;
    case ops::Activation::kHardSwish: return dnnl::algorithm::eltwise_hardswish;
    case ops::Activation::kGelu: return dnnl::algorithm::eltwise_gelu_erf;
    default: return dnnl::algorithm::undef;
  }
}

class ConvKernel final : public Kernel {
 public:
  // w / bias: the constant values, or null when they are run-time inputs (bias: when has_bias).
  // x_block / y_block: the channel block of the graph's x / y layout, 0 for plain.
  ConvKernel(const ops::ConvGeometry& geo, const Shape& w_plain_shape, const Tensor* w, bool has_bias,
             const Tensor* bias, const ops::FusedConvAttrs* fused, bool has_residual, int64_t x_block = 0,
             int64_t y_block = 0)
      : has_residual_(has_residual), has_bias_(has_bias) {
    const int nsp = int(geo.in_spatial.size());
    Shape x_shape{geo.batch, geo.in_channels}, y_shape = geo.output_shape();
    x_shape.insert(x_shape.end(), geo.in_spatial.begin(), geo.in_spatial.end());
    x_plain_ = x_block ? blocked_desc(x_shape, x_block) : plain_desc(x_shape);
    y_plain_ = y_block ? blocked_desc(y_shape, y_block) : plain_desc(y_shape);
    // Grouped weights: {G, M/G, C/G, k...}.
    Shape w_shape = w_plain_shape;
    if (geo.group > 1) {
      w_shape = {geo.group, geo.out_channels / geo.group};
      w_shape.insert(w_shape.end(), w_plain_shape.begin() + 1, w_plain_shape.end());
    }
    dnnl::memory::dims strides(geo.strides.begin(), geo.strides.end());
    dnnl::memory::dims dil(nsp), pl(geo.pad_begin.begin(), geo.pad_begin.end()), pr(geo.pad_end.begin(), geo.pad_end.end());
    for (int i = 0; i < nsp; ++i) dil[size_t(i)] = geo.dilations[size_t(i)] - 1;  // oneDNN counts from 0
    auto any = [](const Shape& s) { return dnnl::memory::desc(to_dims(s), dt::f32, tag::any); };
    dnnl::memory::desc bias_md = has_bias ? dnnl::memory::desc({geo.out_channels}, dt::f32, tag::a) : dnnl::memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      x_block ? x_plain_ : any(x_shape), any(w_shape), bias_md,
                                      y_block ? y_plain_ : any(y_shape), strides, dil, pl, pr);
    dnnl::post_ops po;
    if (has_residual) po.append_sum(1.f);
    if (fused && fused->activation != ops::Activation::kNone) {
      float alpha = fused->alpha, beta = fused->beta;
      if (fused->activation == ops::Activation::kRelu) alpha = 0.f;
      if (fused->activation == ops::Activation::kHardSwish || fused->activation == ops::Activation::kGelu)
        alpha = beta = 0.f;  // fixed forms in oneDNN 2.6
      po.append_eltwise(1.f, eltwise_algorithm(fused->activation), alpha, beta);
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    pd_ = dnnl::convolution_forward::primitive_desc(d, attr, engine());
    prim_ = dnnl::convolution_forward(pd_);
    if (w) w_mem_ = reorder_to(wrap(plain_desc(w_shape), *w), pd_.weights_desc());
    else w_port_ = LayoutPort(plain_desc(w_shape), pd_.weights_desc(), true);
    bias_md_ = bias_md;
    if (bias) b_mem_ = reorder_to(wrap(bias_md, *bias), bias_md);
    if (pd_.src_desc() != x_plain_) {
      x_reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), x_plain_, engine(), pd_.src_desc()));
      x_blocked_ = dnnl::memory(pd_.src_desc(), engine());
    }
    if (pd_.dst_desc() != y_plain_) {
      y_reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), pd_.dst_desc(), engine(), y_plain_));
      y_blocked_ = dnnl::memory(pd_.dst_desc(), engine());
      if (has_residual)
        r_reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), y_plain_, engine(), pd_.dst_desc()));
    }
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    auto& s = stream();
    dnnl::memory x = wrap(x_plain_, in[0]);
    dnnl::memory y = wrap(y_plain_, out[0]);
    dnnl::memory src = x, dst = y;
    if (x_blocked_) {
      x_reorder_.execute(s, x, x_blocked_);
      src = x_blocked_;
    }
    if (y_blocked_) dst = y_blocked_;
    if (has_residual_) {
      dnnl::memory r = wrap(y_plain_, in[3]);
      if (y_blocked_) r_reorder_.execute(s, r, y_blocked_);
      else std::memcpy(out[0].raw(), in[3].raw(), out[0].nbytes());
    }
    dnnl::memory w = w_mem_ ? w_mem_ : w_port_.in(in[1]);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
    if (has_bias_) args[DNNL_ARG_BIAS] = b_mem_ ? b_mem_ : wrap(bias_md_, in[2]);
    prim_.execute(s, args);
    if (y_blocked_) y_reorder_.execute(s, y_blocked_, y);
    s.wait();
  }
  std::string_view name() const override { return "onednn:conv"; }

 private:
  bool has_residual_, has_bias_;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  dnnl::memory::desc x_plain_, y_plain_, bias_md_;
  LayoutPort w_port_;
  dnnl::memory w_mem_, b_mem_, x_blocked_, y_blocked_;
  dnnl::reorder x_reorder_, y_reorder_, r_reorder_;
};

std::unique_ptr<Kernel> make_conv(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].present() && in[i].dtype != DType::kFloat32) return nullptr;
  // BlockedFusedConv: the wrapped FusedConv's attributes, x plain or blocked, residual and y blocked.
  const bool blocked = node.op_type == "BlockedFusedConv";
  const ir::Node& conv = blocked ? node.attrs_as<ops::BlockedAttrs>().inner : node;
  const int64_t block = blocked ? node.attrs_as<ops::BlockedAttrs>().block : 0;
  const int64_t x_block = blocked && in[0].shape.size() == 5 ? block : 0;
  const Shape x = x_block ? ops::plain_shape(in[0].shape, node) : in[0].shape;
  const size_t rank = x.size();
  if (rank < 3 || rank > 5 || in[1].shape.size() != rank) return nullptr;
  const bool fused = conv.domain == "com.shrink";
  const auto& attrs = conv.attrs_as<ops::ConvAttrs>();
  ops::ConvGeometry geo = ops::resolve_conv(conv, attrs, x, in[1].shape);
  if (numel(geo.output_shape()) == 0 || numel(x) == 0) return nullptr;
  const ops::FusedConvAttrs* fa = fused ? &conv.attrs_as<ops::FusedConvAttrs>() : nullptr;
  if (fa && fa->activation != ops::Activation::kNone && eltwise_algorithm(fa->activation) == dnnl::algorithm::undef)
    return nullptr;
  bool residual = fused && in.size() > 3 && in[3].present();
  const Shape y = blocked ? ops::blocked_shape(geo.output_shape(), block, node) : geo.output_shape();
  if (residual && in[3].shape != y) return nullptr;
  const bool has_bias = in.size() > 2 && in[2].present();
  try {
    return std::make_unique<ConvKernel>(geo, in[1].shape, in[1].value, has_bias, has_bias ? in[2].value : nullptr, fa,
                                        residual, x_block, block);
  } catch (const dnnl::error&) {
    if (blocked) return nullptr;  // a geometry the blocked implementations do not take: reference kernel
    throw;
  }
}

}  // namespace

std::vector<KernelEntry> conv_kernels() {
  return {{"", "Conv", make_conv}, {"com.shrink", "FusedConv", make_conv}, {"com.shrink", "BlockedFusedConv", make_conv}};
}

}  // namespace shrink::runtime::onednn
