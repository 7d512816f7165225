// Weight and source preparation, and the requantization epilogue of the oneDNN int8 kernels.
#include "runtime/onednn/int8_common.h"

#include <cstring>

#include "core/threads.h"

namespace shrink::runtime::onednn {

bool cpu_has_vnni() {
  const auto isa = unsigned(dnnl::get_effective_cpu_isa());
  auto has = [&](dnnl::cpu_isa want) { return (isa & unsigned(want)) == unsigned(want); };
  return has(dnnl::cpu_isa::avx2_vnni) || has(dnnl::cpu_isa::avx512_core_vnni);
}

bool prepare_weights(const Tensor& w, const Tensor* zp, int64_t outer, int64_t len, int64_t channel_stride,
                     int64_t channels, bool may_split, Int8Weights& out) {
  const int64_t n = w.numel();
  std::vector<int16_t> v(static_cast<size_t>(n));
  int max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / channel_stride) % channels;
    const int z = zp && zp->defined() ? int(zp->as_int64(zp->numel() == 1 ? 0 : c)) : 0;
    const int val = int(w.as_int64(i)) - z;
    if (val < -128 || val > 128) return false;
    v[size_t(i)] = int16_t(val);
    max_abs = std::max(max_abs, std::abs(val));
  }
  out.split = may_split && max_abs > 64 && !cpu_has_vnni();
  if (!out.split && max_abs > 127) return false;  // +128 does not fit s8 without the split
  out.w = Tensor(DType::kInt8, {outer, (out.split ? 2 : 1) * len});
  int8_t* dst = out.w.data<int8_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < len; ++k) {
      const int val = v[size_t(o * len + k)];
      if (!out.split) {
        dst[o * len + k] = int8_t(val);
        continue;
      }
      const int a = val >= 0 ? val / 2 : -((-val + 1) / 2);  // floor(val / 2): both halves in [-64, 64]
      dst[o * 2 * len + k] = int8_t(a);
      dst[o * 2 * len + len + k] = int8_t(val - a);
    }
  return true;
}

void prepare_source(const Tensor& x, int64_t outer, int64_t len, bool split, uint8_t* dst) {
  const auto* src = static_cast<const uint8_t*>(x.raw());
  const uint8_t flip = x.dtype() == DType::kInt8 ? 0x80 : 0;
  const int64_t copies = split ? 2 : 1;
  parallel_for(outer, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(len, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t c = 0; c < copies; ++c) {
        uint8_t* d = dst + (o * copies + c) * len;
        const uint8_t* s = src + o * len;
        if (!flip) std::memcpy(d, s, size_t(len));
        else
          for (int64_t k = 0; k < len; ++k) d[k] = s[k] ^ flip;
      }
  });
}

int32_t source_zero_point(DType x, const Tensor* zp) {
  const int32_t z = zp && zp->defined() ? int32_t(zp->as_int64(0)) : 0;
  return x == DType::kInt8 ? z + 128 : z;
}

void Int8Epilogue::values(double xs, std::span<const ops::ValueMeta> in, int64_t channels) {
  using ops::kQBias, ops::kQWScale, ops::kQYScale;
  auto value = [&](int i) { return size_t(i) < in.size() && in[size_t(i)].present() ? in[size_t(i)].value : nullptr; };
  const Tensor& ws = *value(kQWScale);
  const Tensor* bias_t = value(kQBias);
  const double y = value(kQYScale) ? value(kQYScale)->as_double(0) : 1.0;
  const bool per_channel = ws.numel() > 1;
  scales.resize(per_channel ? size_t(channels) : 1);
  bias.resize(bias_t ? size_t(channels) : 0);
  for (int64_t c = 0; c < channels; ++c) {
    const double xw = double(float(xs * ws.as_double(per_channel ? c : 0)));
    if (c < int64_t(scales.size())) scales[size_t(c)] = float(xw / y);
    if (bias_t) bias[size_t(c)] = float(bias_t->as_double(c) / xw);
  }
}

Int8Epilogue make_epilogue(std::span<const ops::ValueMeta> in, const ops::QActivation& act, int64_t channels,
                           int scale_mask, bool has_dst_zp, bool src_zp) {
  Int8Epilogue e;
  const Tensor* xs = in[ops::kQXScale].value;
  const Tensor* ys = size_t(ops::kQYScale) < in.size() && in[ops::kQYScale].present() ? in[ops::kQYScale].value : nullptr;
  const double y = ys ? ys->as_double(0) : 1.0;
  const int mask = in[ops::kQWScale].value->numel() > 1 ? scale_mask : 0;
  e.runtime_scales = xs == nullptr;
  if (e.runtime_scales) {
    e.attr.set_output_scales(mask, {DNNL_RUNTIME_F32_VAL});
  } else {
    e.values(xs->as_double(0), in, channels);
    e.attr.set_output_scales(mask, e.scales);
  }
  e.src_zp = src_zp, e.dst_zp = has_dst_zp;
  if (src_zp) e.attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (has_dst_zp) e.attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::post_ops po;
  if (act.activation == ops::Activation::kRelu) po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  if (act.activation == ops::Activation::kClip)
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, float(act.alpha / y), float(act.beta / y));
  e.attr.set_post_ops(po);
  return e;
}

}  // namespace shrink::runtime::onednn
