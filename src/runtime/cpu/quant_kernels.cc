// Per-tensor QuantizeLinear (float32 -> uint8/int8) and DequantizeLinear (uint8/int8 -> float32)
// with AVX2: the boundaries of an int8 graph. Bit-identical to the reference kernels: the same
// float32 division, round half to even, NaN to 0, saturation; (x - zp) * scale in float32.
#include <immintrin.h>

#include <cmath>

#include "core/threads.h"
#include "ops/quant/quant_attrs.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kGrain = 1 << 15;

bool per_tensor_f32_scale(std::span<const ops::ValueMeta> in) {
  if (in[1].dtype != DType::kFloat32 || numel(in[1].shape) != 1 || in[1].shape.size() > 1) return false;
  return in.size() < 3 || !in[2].present() || (numel(in[2].shape) == 1 && in[2].shape.size() <= 1);
}

int32_t zero_point(std::span<const Tensor> in) { return in.size() > 2 && in[2].defined() ? int32_t(in[2].as_int64(0)) : 0; }

class QuantizeKernel final : public Kernel {
 public:
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float s = in[1].data<float>()[0];
    const bool is_signed = out[0].dtype() == DType::kInt8;
    const float zp = float(zero_point(in)), lo = is_signed ? -128.f : 0.f, hi = is_signed ? 127.f : 255.f;
    const float* x = in[0].data<float>();
    auto* y = static_cast<uint8_t*>(out[0].raw());
    parallel_for(in[0].numel(), kGrain, [&](int64_t b, int64_t e) {
      const __m256 vs = _mm256_set1_ps(s), vz = _mm256_set1_ps(zp), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
      int64_t i = b;
      for (; i + 8 <= e; i += 8) {
        __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), vs), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), v);  // NaN -> 0
        v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, vz), vlo), vhi);
        // Within [lo, hi] already: the saturating packs only narrow.
        const __m256i q = _mm256_cvtps_epi32(v);
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), is_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
      }
      for (; i < e; ++i) {
        float v = std::nearbyint(x[i] / s);
        if (std::isnan(v)) v = 0;
        y[i] = uint8_t(int32_t(std::min(std::max(v + zp, lo), hi)));
      }
    });
  }
  std::string_view name() const override { return "cpu:quantize"; }
};

class DequantizeKernel final : public Kernel {
 public:
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float s = in[1].data<float>()[0], zp = float(zero_point(in));
    float* y = out[0].data<float>();
    const bool is_signed = in[0].dtype() == DType::kInt8;
    const auto* x = static_cast<const uint8_t*>(in[0].raw());
    parallel_for(in[0].numel(), kGrain, [&](int64_t b, int64_t e) {
      const __m256 vs = _mm256_set1_ps(s), vz = _mm256_set1_ps(zp);
      int64_t i = b;
      for (; i + 8 <= e; i += 8) {
        const __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i));
        const __m256i v = is_signed ? _mm256_cvtepi8_epi32(raw) : _mm256_cvtepu8_epi32(raw);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(v), vz), vs));
      }
      for (; i < e; ++i) y[i] = (float(is_signed ? int32_t(int8_t(x[i])) : int32_t(x[i])) - zp) * s;
    });
  }
  std::string_view name() const override { return "cpu:dequantize"; }
};

std::unique_ptr<Kernel> make_quantize(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& a = node.attrs_as<ops::QuantizeAttrs>();
  if (in[0].dtype != DType::kFloat32 || !per_tensor_f32_scale(in) || a.block_size > 0) return nullptr;
  if (a.precision != DType::kUndefined && a.precision != DType::kFloat32) return nullptr;
  const DType y = in.size() > 2 && in[2].present() ? in[2].dtype : a.output_dtype == DType::kUndefined ? DType::kUInt8 : a.output_dtype;
  if (y != DType::kUInt8 && y != DType::kInt8) return nullptr;
  return std::make_unique<QuantizeKernel>();
}

std::unique_ptr<Kernel> make_dequantize(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& a = node.attrs_as<ops::DequantizeAttrs>();
  if ((in[0].dtype != DType::kUInt8 && in[0].dtype != DType::kInt8) || !per_tensor_f32_scale(in) || a.block_size > 0)
    return nullptr;
  if (a.output_dtype != DType::kUndefined && a.output_dtype != DType::kFloat32) return nullptr;
  return std::make_unique<DequantizeKernel>();
}

}  // namespace

std::vector<KernelEntry> cpu_quant_kernels() {
  return {{"", "QuantizeLinear", make_quantize}, {"", "DequantizeLinear", make_dequantize}};
}

}  // namespace shrink::runtime
