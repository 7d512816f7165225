// com.shrink QAdd (ops/internal/quantized.h) with AVX2 over equal-shape operands (broadcasts take
// the reference kernel). Bit-identical to the reference: the same float32 operations in the same
// order (this file compiles without floating-point contraction), round half to even, NaN to 0,
// saturation.
#include <immintrin.h>

#include <cmath>

#include "core/threads.h"
#include "ops/internal/quantized.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kGrain = 1 << 15;

// 8 uint8 / int8 values as float32 lanes.
template <bool kSigned>
__m256 load8(const uint8_t* p) {
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(kSigned ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v));
}

template <class T>
float lane(const uint8_t* p) {
  return float(*reinterpret_cast<const T*>(p));
}

class QAddKernel final : public Kernel {
 public:
  explicit QAddKernel(ops::QActivation act) : act_(act) {}

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    using namespace ops;
    const bool sa = in[kQAddA].dtype() == DType::kInt8, sb = in[kQAddB].dtype() == DType::kInt8;
    const bool sy = out[0].dtype() == DType::kInt8;
    if (sa) sb ? body<true, true>(in, out[0], sy) : body<true, false>(in, out[0], sy);
    else sb ? body<false, true>(in, out[0], sy) : body<false, false>(in, out[0], sy);
  }
  std::string_view name() const override { return "cpu:qadd"; }

 private:
  template <bool kSA, bool kSB>
  void body(std::span<const Tensor> in, Tensor& out, bool signed_y) const {
    using namespace ops;
    const float as = in[kQAddAScale].data<float>()[0], bs = in[kQAddBScale].data<float>()[0];
    const float ys = in[kQAddYScale].data<float>()[0];
    const float az = float(in[kQAddAZp].as_int64(0)), bz = float(in[kQAddBZp].as_int64(0));
    const float yz = float(in[kQAddYZp].as_int64(0)), lo = signed_y ? -128.f : 0.f, hi = signed_y ? 127.f : 255.f;
    const auto* a = static_cast<const uint8_t*>(in[kQAddA].raw());
    const auto* b = static_cast<const uint8_t*>(in[kQAddB].raw());
    auto* y = static_cast<uint8_t*>(out.raw());
    const QActivation act = act_;
    parallel_for(out.numel(), kGrain, [&](int64_t begin, int64_t end) {
      const __m256 vas = _mm256_set1_ps(as), vbs = _mm256_set1_ps(bs), vaz = _mm256_set1_ps(az),
                   vbz = _mm256_set1_ps(bz), vys = _mm256_set1_ps(ys), vyz = _mm256_set1_ps(yz),
                   vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), zero = _mm256_setzero_ps(),
                   alpha = _mm256_set1_ps(act.alpha), beta = _mm256_set1_ps(act.beta);
      int64_t i = begin;
      for (; i + 8 <= end; i += 8) {
        const __m256 da = _mm256_mul_ps(_mm256_sub_ps(load8<kSA>(a + i), vaz), vas);
        const __m256 db = _mm256_mul_ps(_mm256_sub_ps(load8<kSB>(b + i), vbz), vbs);
        __m256 v = _mm256_add_ps(da, db);
        // Operand orders give the reference's NaN results: v > 0 ? v : 0, max(v, lo) then min(., hi).
        if (act.activation == Activation::kRelu) v = _mm256_max_ps(v, zero);
        else if (act.activation == Activation::kClip) v = _mm256_min_ps(beta, _mm256_max_ps(alpha, v));
        v = _mm256_round_ps(_mm256_div_ps(v, vys), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), v);  // NaN -> 0
        v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, vyz), vlo), vhi);
        // In range already: the packs saturate nothing.
        const __m256i q = _mm256_cvtps_epi32(v);
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), signed_y ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
      }
      for (; i < end; ++i) {
        const float fa = kSA ? lane<int8_t>(a + i) : lane<uint8_t>(a + i);
        const float fb = kSB ? lane<int8_t>(b + i) : lane<uint8_t>(b + i);
        float v = std::nearbyint(qadd_value(fa, az, as, fb, bz, bs, act, ys));
        if (std::isnan(v)) v = 0;
        y[i] = uint8_t(int32_t(std::min(std::max(v + yz, lo), hi)));
      }
    });
  }

  ops::QActivation act_;
};

std::unique_ptr<Kernel> make_qadd(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  using namespace ops;
  if (in[kQAddA].shape != in[kQAddB].shape) return nullptr;
  for (int s : {int(kQAddAScale), int(kQAddBScale), int(kQAddYScale)})
    if (in[size_t(s)].dtype != DType::kFloat32 || numel(in[size_t(s)].shape) != 1) return nullptr;
  return std::make_unique<QAddKernel>(node.attrs_as<QAddAttrs>().act);
}

}  // namespace

std::vector<KernelEntry> cpu_qadd_kernels() { return {{"com.shrink", "QAdd", make_qadd}}; }

}  // namespace shrink::runtime
