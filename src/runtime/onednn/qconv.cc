// com.shrink QConv on oneDNN's int8 convolution: u8 source (s8 shifted), s8 weights reordered once
// (int8_common.h explains the split that keeps AVX2 exact), int32 accumulation, per-channel output
// scales, source / destination zero points, Relu / Clip post-ops, u8 / s8 / f32 destination. Scales,
// zero points of w and the bias must be constants; x's scale too (oneDNN 2.6 CPU convolutions take no
// run-time output scales), so the dynamic-quantization form falls back to the reference kernel.
// com.shrink NhwcQConv (ops/internal/channels_last.h) runs the same primitive on channels-last x and y,
// the layout oneDNN's int8 kernels choose, so it needs no reorder.
#include <algorithm>
#include <cstring>

#include "ops/internal/channels_last.h"
#include "ops/nn/conv.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/int8_common.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using namespace ops;  // QInput names

class QConvKernel final : public Kernel {
 public:
  // dense: a grouped convolution as one block-diagonal convolution (zeros outside each group's
  // block), for group shapes oneDNN's int8 jit kernels do not take (they would fall to ref_int8).
  QConvKernel(const ConvGeometry& geo, std::span<const ValueMeta> in, const Int8Weights& weights,
              const Int8Epilogue& epi, DType y_type, bool dense, bool channels_last)
      : split_(weights.split), src_zp_(epi.src_zp), dst_zp_(epi.dst_zp), x_type_(in[kQX].dtype) {
    const int64_t c_in = geo.in_channels * (split_ ? 2 : 1);
    Shape x_shape{geo.batch, c_in}, y_shape = geo.output_shape();
    x_shape.insert(x_shape.end(), geo.in_spatial.begin(), geo.in_spatial.end());
    // The split source duplicates each group's channels: per image and group planes, or per pixel
    // and group channels-last.
    outer_ = channels_last ? geo.batch * numel(geo.in_spatial) * geo.group : geo.batch * geo.group;
    len_ = geo.in_channels / geo.group * (channels_last ? 1 : numel(geo.in_spatial));
    x_plain_ = channels_last ? dnnl::memory::desc(to_dims(x_shape), dt::u8, tag::acdb) : plain_desc(x_shape, dt::u8);
    y_plain_ = channels_last ? dnnl::memory::desc(to_dims(y_shape), int8_output_type(y_type), tag::acdb)
                             : plain_desc(y_shape, int8_output_type(y_type));
    Shape w_full{geo.out_channels, c_in / geo.group};
    w_full.insert(w_full.end(), geo.kernel.begin(), geo.kernel.end());
    Tensor w = weights.w;
    if (dense && geo.group > 1) {
      w_full[1] = c_in;
      const int64_t block = w.dim(1), mg = geo.out_channels / geo.group;  // block = C'/G * k
      w = Tensor(DType::kInt8, {geo.out_channels, block * geo.group});
      for (int64_t m = 0; m < geo.out_channels; ++m)
        std::memcpy(w.data<int8_t>() + m * w.dim(1) + (m / mg) * block, weights.w.data<int8_t>() + m * block,
                    size_t(block));
    } else if (geo.group > 1) {
      w_full.insert(w_full.begin(), geo.group);
      w_full[1] = geo.out_channels / geo.group;
    }
    const int nsp = int(geo.in_spatial.size());
    dnnl::memory::dims strides(geo.strides.begin(), geo.strides.end()), dil(static_cast<size_t>(nsp));
    dnnl::memory::dims pl(geo.pad_begin.begin(), geo.pad_begin.end()), pr(geo.pad_end.begin(), geo.pad_end.end());
    for (int i = 0; i < nsp; ++i) dil[size_t(i)] = geo.dilations[size_t(i)] - 1;
    auto any = [](const Shape& s, dt t) { return dnnl::memory::desc(to_dims(s), t, tag::any); };
    const bool has_bias = !epi.bias.empty();
    dnnl::memory::desc bias_md = has_bias ? dnnl::memory::desc({geo.out_channels}, dt::f32, tag::a) : dnnl::memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      any(x_shape, dt::u8), any(w_full, dt::s8), bias_md,
                                      any(y_shape, int8_output_type(y_type)), strides, dil, pl, pr);
    pd_ = dnnl::convolution_forward::primitive_desc(d, epi.attr, engine());
    prim_ = dnnl::convolution_forward(pd_);
    w_mem_ = reorder_to(wrap(plain_desc(w_full, dt::s8), w), pd_.weights_desc());
    if (has_bias) {
      bias_ = Tensor::from_vector(epi.bias, {geo.out_channels});
      b_mem_ = wrap(bias_md, bias_);
    }
    x_zp_ = source_zero_point(x_type_, size_t(kQXZp) < in.size() ? in[kQXZp].value : nullptr);
    y_zp_ = size_t(kQYZp) < in.size() && in[kQYZp].present() ? int32_t(in[kQYZp].value->as_int64(0)) : 0;
    if (split_ || x_type_ == DType::kInt8) x_u8_ = Tensor(DType::kUInt8, x_shape);
    if (pd_.src_desc() != x_plain_) {
      x_reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), x_plain_, engine(), pd_.src_desc()));
      x_blocked_ = dnnl::memory(pd_.src_desc(), engine());
    }
    if (pd_.dst_desc() != y_plain_) {
      y_reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), pd_.dst_desc(), engine(), y_plain_));
      y_blocked_ = dnnl::memory(pd_.dst_desc(), engine());
    }
    name_ = std::string("onednn:qconv") + (split_ ? "-split" : "") + (channels_last ? "-nhwc" : "") +
            (channels_last && (x_blocked_ || y_blocked_) ? "+reorder" : "");
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    auto& s = stream();
    const Tensor* x = &in[kQX];
    if (x_u8_.defined()) {
      prepare_source(in[kQX], outer_, len_, split_, x_u8_.data<uint8_t>());
      x = &x_u8_;
    }
    dnnl::memory src = wrap(x_plain_, *x), dst = wrap(y_plain_, out[0]);
    if (x_blocked_) {
      x_reorder_.execute(s, src, x_blocked_);
      src = x_blocked_;
    }
    dnnl::memory zx({{1}, dt::s32, tag::x}, engine(), &x_zp_), zy({{1}, dt::s32, tag::x}, engine(), &y_zp_);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src},
                                               {DNNL_ARG_WEIGHTS, w_mem_},
                                               {DNNL_ARG_DST, y_blocked_ ? y_blocked_ : dst}};
    if (src_zp_) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zx;
    if (dst_zp_) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST] = zy;
    if (b_mem_) args[DNNL_ARG_BIAS] = b_mem_;
    prim_.execute(s, args);
    if (y_blocked_) y_reorder_.execute(s, y_blocked_, dst);
    s.wait();
  }
  std::string_view name() const override { return name_; }
  bool reference_impl() const { return std::string_view(pd_.impl_info_str()).rfind("ref", 0) == 0; }

 private:
  bool split_, src_zp_, dst_zp_;
  std::string name_;
  DType x_type_;
  int64_t outer_ = 0, len_ = 0;
  int32_t x_zp_ = 0, y_zp_ = 0;
  Tensor x_u8_, bias_;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  dnnl::memory::desc x_plain_, y_plain_;
  dnnl::memory w_mem_, b_mem_, x_blocked_, y_blocked_;
  dnnl::reorder x_reorder_, y_reorder_;
};

bool constant(std::span<const ValueMeta> in, int i) { return size_t(i) >= in.size() || !in[size_t(i)].present() || in[size_t(i)].value; }

std::unique_ptr<Kernel> build_qconv(const ir::Node& node, std::span<const ValueMeta> in, bool channels_last) {
  for (int i : {int(kQXScale), int(kQXZp), int(kQW), int(kQWScale), int(kQWZp), int(kQBias), int(kQYScale), int(kQYZp)})
    if (!constant(in, i)) return nullptr;
  const size_t rank = in[kQX].shape.size();
  if (rank < 3 || rank > 5 || in[kQW].shape.size() != rank || numel(in[kQX].shape) == 0) return nullptr;
  const auto& attrs = node.attrs_as<QConvAttrs>();
  std::vector<ValueMeta> out;
  out.resize(1);
  if (!schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid parameters
  const ConvGeometry geo = resolve_conv(node, attrs, in[kQX].shape, in[kQW].shape);
  if (numel(geo.output_shape()) == 0) return nullptr;
  const Tensor& w = *in[kQW].value;
  const int64_t len = w.numel() / geo.out_channels;
  const bool depthwise = geo.group > 1 && geo.group == geo.in_channels && geo.group == geo.out_channels;
  Int8Weights weights;
  if (!prepare_weights(w, size_t(kQWZp) < in.size() && in[kQWZp].present() ? in[kQWZp].value : nullptr,
                       geo.out_channels, len, len, geo.out_channels, !depthwise, weights))
    return nullptr;
  const bool requant = size_t(kQYScale) < in.size() && in[kQYScale].present();
  // Zero points known to be 0 are left out. Without padding, x's zero point is folded into the
  // bias as -x_zp * (row sums of w) (padding would need it only at interior taps).
  const int32_t zx = source_zero_point(in[kQX].dtype, size_t(kQXZp) < in.size() ? in[kQXZp].value : nullptr);
  const bool zy = requant && in[kQYZp].value->as_int64(0) != 0;
  const bool unpadded = std::all_of(geo.pad_begin.begin(), geo.pad_begin.end(), [](int64_t p) { return p == 0; }) &&
                        std::all_of(geo.pad_end.begin(), geo.pad_end.end(), [](int64_t p) { return p == 0; });
  const bool fold = zx != 0 && unpadded && in[kQXScale].value;
  // A Relu / Clip that the saturation to y's range already does is left out (no post-op).
  const QActivation act = requant ? effective_activation(attrs.act, in[kQYScale].value->data<float>()[0],
                                                         in[kQYZp].value->as_int64(0), in[kQYZp].dtype)
                                  : attrs.act;
  Int8Epilogue epi = make_epilogue(in, act, geo.out_channels, 1 << 1, zy, zx != 0 && !fold);
  if (fold) {
    epi.bias.resize(size_t(geo.out_channels), 0.f);
    const int64_t row = weights.w.dim(1);
    for (int64_t m = 0; m < geo.out_channels; ++m) {
      int64_t sum = 0;
      for (int64_t k = 0; k < row; ++k) sum += weights.w.data<int8_t>()[m * row + k];
      epi.bias[size_t(m)] = float(double(epi.bias[size_t(m)]) - double(zx) * double(sum));
    }
  }
  try {
    auto k = std::make_unique<QConvKernel>(geo, in, weights, epi, out[0].dtype, false, channels_last);
    if (geo.group > 1 && geo.group != geo.in_channels && k->reference_impl())
      k = std::make_unique<QConvKernel>(geo, in, weights, epi, out[0].dtype, true, channels_last);
    return k;
  } catch (const dnnl::error&) {
    return nullptr;  // a combination this oneDNN build does not implement: the reference kernel runs
  }
}

std::unique_ptr<Kernel> make_qconv(const ir::Node& node, std::span<const ValueMeta> in) {
  return build_qconv(node, in, false);
}

std::unique_ptr<Kernel> make_nhwc_qconv(const ir::Node& node, std::span<const ValueMeta> in) {
  if (in[kQX].shape.size() != 4) return nullptr;
  std::vector<ValueMeta> plain(in.begin(), in.end());
  plain[kQX].shape = ops::nchw_shape(in[kQX].shape, node);
  return build_qconv(node.attrs_as<ops::ChannelsLastAttrs>().inner, plain, true);
}

}  // namespace

std::vector<KernelEntry> qconv_kernels() {
  return {{"com.shrink", "QConv", make_qconv}, {"com.shrink", "NhwcQConv", make_nhwc_qconv}};
}

}  // namespace shrink::runtime::onednn
