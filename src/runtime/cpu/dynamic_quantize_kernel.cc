// DynamicQuantizeLinear with AVX2: a min/max pass and a quantize pass over float32 x. Bit-identical
// to the reference kernel (ops/quant/dynamic_quantize_linear.cc): NaN skipped by the min/max, the
// same scalar scale and zero point, the same float32 division x / scale, round half to even, NaN
// to the zero point, saturation to [0, 255].
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kGrain = 1 << 15;

// min(x, 0) and max(x, 0) over x skipping NaN, as the reference's `if (x < lo) lo = x` scan:
// _mm256_min_ps(v, lo) is `v < lo ? v : lo`, so NaN and -0 never replace the running value.
// Four independent accumulator pairs hide the min/max latency; the order does not matter (no NaN
// ever enters an accumulator, and -0 never replaces +0).
void range(const float* x, int64_t b, int64_t e, float& lo, float& hi) {
  __m256 vlo = _mm256_setzero_ps(), vhi = _mm256_setzero_ps();
  __m256 l1 = vlo, l2 = vlo, l3 = vlo, h1 = vhi, h2 = vhi, h3 = vhi;
  int64_t i = b;
  for (; i + 32 <= e; i += 32) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    const __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
    vlo = _mm256_min_ps(v0, vlo);
    vhi = _mm256_max_ps(v0, vhi);
    l1 = _mm256_min_ps(v1, l1);
    h1 = _mm256_max_ps(v1, h1);
    l2 = _mm256_min_ps(v2, l2);
    h2 = _mm256_max_ps(v2, h2);
    l3 = _mm256_min_ps(v3, l3);
    h3 = _mm256_max_ps(v3, h3);
  }
  for (; i + 8 <= e; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    vlo = _mm256_min_ps(v, vlo);
    vhi = _mm256_max_ps(v, vhi);
  }
  vlo = _mm256_min_ps(_mm256_min_ps(vlo, l1), _mm256_min_ps(l2, l3));
  vhi = _mm256_max_ps(_mm256_max_ps(vhi, h1), _mm256_max_ps(h2, h3));
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, vlo);
  _mm256_store_ps(h, vhi);
  for (int k = 0; k < 8; ++k) {
    if (l[k] < lo) lo = l[k];
    if (h[k] > hi) hi = h[k];
  }
  for (; i < e; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
}

class DynamicQuantizeKernel final : public Kernel {
 public:
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    const int64_t n = in[0].numel();
    float lo = 0.f, hi = 0.f;
    const int64_t chunks = std::clamp<int64_t>(n / kGrain, 1, num_threads());
    if (chunks == 1) {
      range(x, 0, n, lo, hi);
    } else {  // per-chunk ranges combined: min / max do not depend on the order
      std::vector<float> los(size_t(chunks), 0.f), his(size_t(chunks), 0.f);
      parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) range(x, n * c / chunks, n * (c + 1) / chunks, los[size_t(c)], his[size_t(c)]);
      });
      for (int64_t c = 0; c < chunks; ++c) {
        if (los[size_t(c)] < lo) lo = los[size_t(c)];
        if (his[size_t(c)] > hi) hi = his[size_t(c)];
      }
    }
    // The reference's parameters, computed the same way.
    const float scale = (hi == lo ? 1.f : hi - lo) / 255.f;
    const float zp_fp = std::clamp(0.f - lo / scale, 0.f, 255.f);
    const float zp = std::isnan(zp_fp) ? 0.f : float(std::nearbyint(double(zp_fp)));
    uint8_t* y = out[0].data<uint8_t>();
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      const __m256 vs = _mm256_set1_ps(scale), vz = _mm256_set1_ps(zp), vhi = _mm256_set1_ps(255.f);
      const __m256 vlo = _mm256_setzero_ps();
      int64_t i = b;
      for (; i + 32 <= e; i += 32) {
        __m256i q[4];
        for (int j = 0; j < 4; ++j) {
          __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i + 8 * j), vs),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
          v = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), v);  // NaN -> 0
          // |v| >= 2^24 may round in the addition but saturates the same way either way.
          q[j] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, vz), vlo), vhi));
        }
        // Pack 32 int32 in [0, 255] to bytes; packs work per 128-bit lane, the permute restores order.
        const __m256i w01 = _mm256_packs_epi32(q[0], q[1]), w23 = _mm256_packs_epi32(q[2], q[3]);
        const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(w01, w23),
                                                          _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), bytes);
      }
      for (; i < e; ++i) {
        float v = std::nearbyint(x[i] / scale);
        if (std::isnan(v)) v = 0;
        y[i] = uint8_t(int32_t(std::min(std::max(v + zp, 0.f), 255.f)));
      }
    });
    out[1].data<float>()[0] = scale;
    out[2].data<uint8_t>()[0] = uint8_t(zp);
  }
  std::string_view name() const override { return "cpu:dynamic-quantize"; }
};

std::unique_ptr<Kernel> make_dynamic_quantize(const ir::Node&, std::span<const ops::ValueMeta> in) {
  if (in.empty() || in[0].dtype != DType::kFloat32) return nullptr;
  return std::make_unique<DynamicQuantizeKernel>();
}

}  // namespace

std::vector<KernelEntry> cpu_dynamic_quantize_kernels() { return {{"", "DynamicQuantizeLinear", make_dynamic_quantize}}; }

}  // namespace shrink::runtime
