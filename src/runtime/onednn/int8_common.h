// What the oneDNN int8 kernels (qconv.cc, qmatmul.cc) share. On CPUs without VNNI (AVX2 only),
// oneDNN's int8 kernels multiply u8 x s8 pairs with vpmaddubsw, which saturates at int16, and run an
// s8 source with halved weights; both lose exactness. So the source always runs as u8 (s8 shifted by
// 128 with its zero point), and the weights as s8 (w - w_zp): exact when |w - w_zp| <= 64. Larger
// weights are split in two halves of that range along the reduction axis (the source duplicated to
// match), which keeps results exact at twice the arithmetic. With VNNI no split is needed.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "ops/internal/quantized.h"

namespace shrink::runtime::onednn {

bool cpu_has_vnni();

// oneDNN's type for an int8 kernel's output: u8, s8, else f32.
inline dnnl::memory::data_type int8_output_type(DType t) {
  using dt = dnnl::memory::data_type;
  return t == DType::kUInt8 ? dt::u8 : t == DType::kInt8 ? dt::s8 : dt::f32;
}

// Weights minus their zero points as s8, laid out [outer, len] per reduction block; `channel_of`
// maps a flat index to the channel whose zero point applies. With split, each block becomes
// [half a, half b] (2 * len). Returns false when some w - w_zp falls outside [-128, 128].
struct Int8Weights {
  Tensor w;            // s8
  bool split = false;  // reduction axis doubled
};
// may_split = false for kernels without the pairwise int16 saturation (oneDNN's depthwise int8
// convolution multiplies in int32).
bool prepare_weights(const Tensor& w, const Tensor* zp, int64_t outer, int64_t len, int64_t channel_stride,
                     int64_t channels, bool may_split, Int8Weights& out);

// x (u8 or s8) viewed as [outer, len] into dst as u8 ([outer, 2 * len] with split): s8 values are
// shifted by 128 (the zero point follows: see source_zero_point).
void prepare_source(const Tensor& x, int64_t outer, int64_t len, bool split, uint8_t* dst);
int32_t source_zero_point(DType x, const Tensor* zp);

// The epilogue as oneDNN attributes: output scales x_s * w_s[c] (/ y_s), activation post-op, source
// and dst zero points (run-time arguments); the bias goes in the accumulator's units,
// bias[c] / (x_s * w_s[c]). When x_s is not a constant (dynamic quantization) the scales are
// run-time arguments too: values() fills scales and bias for each run's x_s.
struct Int8Epilogue {
  bool runtime_scales = false;
  bool src_zp = true, dst_zp = false;  // zero-point attributes set (their values: run-time arguments)
  std::vector<float> scales, bias;
  dnnl::primitive_attr attr;
  void values(double x_scale, std::span<const ops::ValueMeta> in, int64_t channels);
};
// src_zp = false leaves the source zero point out (the caller knows it is 0, or folded it into
// the bias: oneDNN 2.6's AVX2 kernels spend per-output work on a run-time zero point even when 0).
Int8Epilogue make_epilogue(std::span<const ops::ValueMeta> in, const ops::QActivation& act, int64_t channels,
                           int scale_mask, bool has_dst_zp, bool src_zp = true);

}  // namespace shrink::runtime::onednn
