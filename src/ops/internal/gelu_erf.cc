// Vectorized GELU (gelu_erf.h): 8 lanes at a time; the tail goes through the same vector code.
#include "ops/internal/gelu_erf.h"

#include "ops/internal/avx2_exp.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace shrink::ops {
namespace {

inline __m256 gelu8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(0.70710678118654752f));  // |x| / sqrt 2
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.f)));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  const __m256 erfc = _mm256_mul_ps(p, exp_nonpositive(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), z), z)));
  // 1 + erf(x / sqrt 2): 2 - erfc for x >= 0, erfc for x < 0.
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 one_plus = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.f), erfc), erfc, neg);
  return _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.5f)), one_plus);
}

}  // namespace

void gelu_erf(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {};
    std::memcpy(buf, x + i, size_t(n - i) * sizeof(float));
    _mm256_store_ps(buf, gelu8(_mm256_load_ps(buf)));
    std::memcpy(y + i, buf, size_t(n - i) * sizeof(float));
  }
}

void gelu_erf_inplace(float* x, int64_t n) { gelu_erf(x, x, n); }

}  // namespace shrink::ops
