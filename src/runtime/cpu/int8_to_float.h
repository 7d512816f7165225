// uint8 / int8 values minus a zero point, as float32 (exact: integers below 2^24), 8 at a time: the
// float operands of the MatMulInteger kernels that multiply on sgemm.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "core/tensor.h"

namespace shrink::runtime::cpu {

// Products of two such operands (|v| <= 255) summed over K <= this are integers below 2^24, exact in
// float32 in any order (K * 255 * 255 < 2^24): the MatMulInteger kernels on float GEMMs.
constexpr int64_t kMaxExactIntegerK = ((int64_t(1) << 24) - 1) / (255 * 255);

template <bool kSigned>
inline void int8_to_float(const uint8_t* s, int64_t n, float z, float* dst) {
  const __m256 vz = _mm256_set1_ps(z);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s + i));
    const __m256i w = kSigned ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
    _mm256_storeu_ps(dst + i, _mm256_sub_ps(_mm256_cvtepi32_ps(w), vz));
  }
  for (; i < n; ++i) dst[i] = float(kSigned ? int(int8_t(s[i])) : int(s[i])) - z;
}

// The zero point of a per-tensor zero-point input (absent or undefined: 0).
inline float scalar_zero_point(const Tensor* zp) { return zp && zp->defined() ? float(zp->as_int64(0)) : 0.f; }

// x (uint8 or int8) minus z, as float.
inline void int8_to_float(const Tensor& x, float z, float* dst) {
  const auto* s = static_cast<const uint8_t*>(x.raw());
  if (x.dtype() == DType::kInt8) int8_to_float<true>(s, x.numel(), z, dst);
  else int8_to_float<false>(s, x.numel(), z, dst);
}

}  // namespace shrink::runtime::cpu
