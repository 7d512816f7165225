// The QConv / QMatMul epilogue (ops/internal/quantized.cc finish_quantized) on 8 int32 accumulators
// with AVX2, bit-identical to the reference: v = act(fma(float(acc), x_s * w_s[c], bias[c])), then
// y = saturate(round_half_even(double(v) / y_s) + y_zp). The division runs as a float32 product
// with 1 / y_s; lanes whose product lies within 2^-11 of a rounding boundary (k + 0.5), and NaN /
// infinite lanes, are redone with the reference's double division (why that is exact: below).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "ops/internal/quantized.h"
#include "ops/quant/quant_util.h"

namespace shrink::runtime {

// Per-channel constants of one quantized node, read once when its kernel is built.
struct Int8Requant {
  std::vector<float> mult, bias;  // x_s * w_s[c] rounded to float, bias[c] (0 without bias); padded
  ops::QActivation act;
  bool requant = false;           // false: float32 output v
  bool signed_y = false;
  float y_scale = 1.f, inv_y_scale = 1.f, y_zp = 0.f;

  // channels_padded >= channels entries (padding: multiplier 0, bias 0).
  static Int8Requant make(std::span<const ops::ValueMeta> in, const ops::QActivation& act, int64_t channels,
                          int64_t channels_padded);

  __m256i quantize_exactly(__m256 v) const;  // the reference's arithmetic, lane by lane
};

// The epilogue's arithmetic with its broadcast constants held as locals of the caller's loop (so
// they stay in registers: members would be reloaded after every byte store). kAct: the node's.
template <ops::Activation kAct>
struct Int8RequantLanes {
  const Int8Requant& r;
  __m256 alpha, beta, inv_y_scale, y_zp, hi;

  explicit Int8RequantLanes(const Int8Requant& rq)
      : r(rq), alpha(_mm256_set1_ps(rq.act.alpha)), beta(_mm256_set1_ps(rq.act.beta)),
        inv_y_scale(_mm256_set1_ps(rq.inv_y_scale)), y_zp(_mm256_set1_ps(rq.y_zp)),
        hi(_mm256_set1_ps(rq.signed_y ? 127.f : 255.f)) {}

  // v of 8 channels with multipliers / biases at mult, bias.
  [[gnu::always_inline]] __m256 value(__m256i acc, const float* mult, const float* bias) const {
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(mult), _mm256_loadu_ps(bias));
    // Operand orders give the reference's NaN results: v > 0 ? v : 0, max(v, lo) then min(., hi).
    if constexpr (kAct == ops::Activation::kRelu) v = _mm256_max_ps(v, _mm256_setzero_ps());
    if constexpr (kAct == ops::Activation::kClip) v = _mm256_min_ps(beta, _mm256_max_ps(alpha, v));
    return v;
  }

  // The quantized values of v0, v1 as int32 lanes, at most the type's maximum (the packs of
  // pack_int8 saturate the low side).
  //
  // Exactness: the reference rounds RN_double(v / y_s), which equals rounding the exact quotient
  // q (a quotient of two floats' 24-bit significands is never within 2^-27 of a half-integer
  // without being one). The float product differs from q by less than |q| * 2^-23 < 2^-12 when
  // |q| < 2^11, so away from 2^-11 of k + 0.5 both round alike; |q| >= 2^11 saturates either way.
  [[gnu::always_inline]] void quantize(__m256 v0, __m256 v1, __m256i& y0, __m256i& y1) const {
    const __m256 q0 = _mm256_mul_ps(v0, inv_y_scale), q1 = _mm256_mul_ps(v1, inv_y_scale);
    const __m256 r0 = _mm256_round_ps(q0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 r1 = _mm256_round_ps(q1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_set1_ps(-0.f), near_half = _mm256_set1_ps(0.5f - 1.f / 2048);
    const __m256 safe0 = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(q0, r0)), near_half, _CMP_LT_OQ);
    const __m256 safe1 = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(q1, r1)), near_half, _CMP_LT_OQ);
    if (_mm256_movemask_ps(_mm256_and_ps(safe0, safe1)) != 0xff) {  // false for NaN too
      y0 = r.quantize_exactly(v0), y1 = r.quantize_exactly(v1);
      return;
    }
    y0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_add_ps(r0, y_zp), hi));
    y1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_add_ps(r1, y_zp), hi));
  }
};

// 16 int32 lanes (a: values 0-7, b: 8-15), at most the type's maximum, as 16 saturated bytes.
inline __m128i pack_int8(__m256i a, __m256i b, bool signed_y) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
  const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
  return signed_y ? _mm_packs_epi16(lo, hi) : _mm_packus_epi16(lo, hi);
}

}  // namespace shrink::runtime
