// The per-channel constants of the AVX2 int8 epilogue (int8_requant.h), read as the reference
// kernel reads them, and its exact lane-by-lane path.
#include "runtime/cpu/int8_requant.h"


namespace shrink::runtime {

Int8Requant Int8Requant::make(std::span<const ops::ValueMeta> in, const ops::QActivation& act, int64_t channels,
                              int64_t channels_padded) {
  using namespace ops;
  auto value = [&](int i) { return size_t(i) < in.size() && in[size_t(i)].present() ? in[size_t(i)].value : nullptr; };
  Int8Requant r;
  r.act = act;
  r.mult.assign(size_t(channels_padded), 0.f);
  r.bias.assign(size_t(channels_padded), 0.f);
  // As finish_quantized: x_s read as float then widened, the product in double rounded to float.
  const double xs = value(kQXScale)->data<float>()[0];
  const Tensor& ws = *value(kQWScale);
  for (int64_t c = 0; c < channels; ++c) {
    r.mult[size_t(c)] = float(xs * ws.data<float>()[ws.numel() == 1 ? 0 : c]);
    if (const Tensor* b = value(kQBias)) r.bias[size_t(c)] = b->data<float>()[c];
  }
  if (const Tensor* ys = value(kQYScale)) {
    r.requant = true;
    r.y_scale = ys->data<float>()[0];
    r.inv_y_scale = 1.f / r.y_scale;
    r.y_zp = float(value(kQYZp)->as_int64(0));
    r.signed_y = value(kQYZp)->dtype() == DType::kInt8;
    r.act = effective_activation(act, r.y_scale, value(kQYZp)->as_int64(0), value(kQYZp)->dtype());
  }
  return r;
}

__m256i Int8Requant::quantize_exactly(__m256 v) const {
  // round_saturate(double(v) / y_s, y_zp, range) on four doubles at a time: round half to even,
  // NaN to 0, then the zero point and saturation.
  const __m256d ys = _mm256_set1_pd(double(y_scale)), zp = _mm256_set1_pd(double(y_zp));
  const __m256d lo = _mm256_set1_pd(signed_y ? -128.0 : 0.0), hi = _mm256_set1_pd(signed_y ? 127.0 : 255.0);
  auto half = [&](__m128 f) {
    __m256d q = _mm256_round_pd(_mm256_div_pd(_mm256_cvtps_pd(f), ys), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_andnot_pd(_mm256_cmp_pd(q, q, _CMP_UNORD_Q), q);
    return _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(_mm256_add_pd(q, zp), lo), hi));
  };
  return _mm256_set_m128i(half(_mm256_extractf128_ps(v, 1)), half(_mm256_castps256_ps128(v)));
}

}  // namespace shrink::runtime
