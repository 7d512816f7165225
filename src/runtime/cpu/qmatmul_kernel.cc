// com.shrink QMatMul on the AVX2 u8 x s8 product (qgemm_avx2.h) for constant weights within
// |w - w_zp| <= 64 (the quantizer's 7-bit weights) on CPUs without VNNI; other weights and VNNI
// CPUs take oneDNN's kernel. Bit-identical to the reference kernel (ops/internal/quantized.cc
// finish_quantized): v = act(fma(float(acc), float(x_s * w_s[c]), bias[c])), then
// round_half_even(double(v) / y_s) + y_zp saturated, or v as float32.
#include <immintrin.h>

#include <cstring>

#include "ops/internal/quantized.h"
#include "ops/quant/quant_util.h"
#include "runtime/cpu/qgemm_avx2.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

using namespace ops;  // QInput names

bool cpu_has_vnni() { return __builtin_cpu_supports("avxvnni") || __builtin_cpu_supports("avx512vnni"); }

// The epilogue over 16-column tiles; mult and bias are padded to whole panels.
class QMatMulEpilogue final : public cpu::QGemmSink {
 public:
  const float* mult = nullptr;
  const float* bias = nullptr;
  QActivation act;
  int64_t n = 0;
  void* y = nullptr;
  DType y_type = DType::kFloat32;
  double y_scale = 1, y_zp = 0, lo = 0, hi = 0;

  void tile(int64_t row0, int rows, int64_t col0, const int32_t* acc) const override {
    if (y_type == DType::kFloat32 && col0 + 16 <= n) {  // the common case, with the activation hoisted
      switch (act.activation) {
        case Activation::kRelu: return float_tile<Activation::kRelu>(row0, rows, col0, acc);
        case Activation::kClip: return float_tile<Activation::kClip>(row0, rows, col0, acc);
        default: return float_tile<Activation::kNone>(row0, rows, col0, acc);
      }
    }
    for (int r = 0; r < rows; ++r)
      for (int h = 0; h < 2; ++h) {
        const int64_t c = col0 + 8 * h;
        if (c >= n) break;
        const __m256 v = value(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * 16 + 8 * h)), c);
        store(v, (row0 + r) * n + c, int(std::min<int64_t>(8, n - c)));
      }
  }

 private:
  // Float output, 16 whole columns: the same operations as value() and store(), unrolled.
  template <Activation kAct>
  void float_tile(int64_t row0, int rows, int64_t col0, const int32_t* acc) const {
    const __m256 m0 = _mm256_loadu_ps(mult + col0), m1 = _mm256_loadu_ps(mult + col0 + 8);
    const __m256 b0 = _mm256_loadu_ps(bias + col0), b1 = _mm256_loadu_ps(bias + col0 + 8);
    const __m256 lo = _mm256_set1_ps(act.alpha), hi = _mm256_set1_ps(act.beta), zero = _mm256_setzero_ps();
    float* dst = static_cast<float*>(y) + row0 * n + col0;
    for (int r = 0; r < rows; ++r, dst += n, acc += 16) {
      __m256 v0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc))), m0, b0);
      __m256 v1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + 8))), m1, b1);
      if constexpr (kAct == Activation::kRelu) {
        v0 = _mm256_max_ps(v0, zero);
        v1 = _mm256_max_ps(v1, zero);
      } else if constexpr (kAct == Activation::kClip) {
        v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
        v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
      }
      _mm256_storeu_ps(dst, v0);
      _mm256_storeu_ps(dst + 8, v1);
    }
  }
  __m256 value(__m256i acc, int64_t c) const {
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(mult + c), _mm256_loadu_ps(bias + c));
    // max/min with the bound first: the same result as the reference's comparisons, NaN included.
    if (act.activation == Activation::kRelu) v = _mm256_max_ps(v, _mm256_setzero_ps());
    else if (act.activation == Activation::kClip)
      v = _mm256_min_ps(_mm256_set1_ps(act.beta), _mm256_max_ps(_mm256_set1_ps(act.alpha), v));
    return v;
  }
  // round_saturate(double(v) / y_scale, y_zp) on 4 lanes.
  __m128i requantize(__m256d d) const {
    d = _mm256_round_pd(_mm256_div_pd(d, _mm256_set1_pd(y_scale)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    d = _mm256_andnot_pd(_mm256_cmp_pd(d, d, _CMP_UNORD_Q), d);  // NaN -> 0
    d = _mm256_min_pd(_mm256_max_pd(_mm256_add_pd(d, _mm256_set1_pd(y_zp)), _mm256_set1_pd(lo)), _mm256_set1_pd(hi));
    return _mm256_cvtpd_epi32(d);
  }
  void store(__m256 v, int64_t at, int count) const {
    if (y_type == DType::kFloat32) {
      float* dst = static_cast<float*>(y) + at;
      if (count == 8) {
        _mm256_storeu_ps(dst, v);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, v);
        std::memcpy(dst, tmp, size_t(count) * sizeof(float));
      }
      return;
    }
    const __m128i words = _mm_packs_epi32(requantize(_mm256_cvtps_pd(_mm256_castps256_ps128(v))),
                                          requantize(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    const __m128i bytes = y_type == DType::kUInt8 ? _mm_packus_epi16(words, words) : _mm_packs_epi16(words, words);
    uint8_t* dst = static_cast<uint8_t*>(y) + at;
    if (count == 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      std::memcpy(dst, tmp, size_t(count));
    }
  }
};

class QMatMulAvx2Kernel final : public Kernel {
 public:
  QMatMulAvx2Kernel(const ir::Node& node, std::span<const ValueMeta> in, cpu::PackedS8Weights w, DType y_type)
      : node_(node), w_(std::move(w)) {
    const int64_t padded = w_.panels * cpu::kQGemmPanel;
    w_scales_ = read_scales(node, *in[kQWScale].value, "w_scale");
    mult_.assign(size_t(padded), 0.f);
    bias_.assign(size_t(padded), 0.f);
    if (size_t(kQBias) < in.size() && in[kQBias].present())
      std::memcpy(bias_.data(), in[kQBias].value->data<float>(), size_t(w_.n) * sizeof(float));
    if (in[kQXScale].value) set_mult(read_scales(node, *in[kQXScale].value, "x_scale")[0]);
    epi_.act = node.attrs_as<QMatMulAttrs>().act;
    epi_.n = w_.n;
    epi_.y_type = y_type;
    if (y_type != DType::kFloat32) {
      epi_.y_scale = read_scales(node, *in[kQYScale].value, "y_scale")[0];
      epi_.y_zp = double(in[kQYZp].value->as_int64(0));
      const QuantRange range = quant_range(y_type);
      epi_.lo = double(range.lo);
      epi_.hi = double(range.hi);
    }
    runtime_scale_ = in[kQXScale].value == nullptr;
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor& x = in[kQX];
    if (runtime_scale_) set_mult(read_scales(node_, in[kQXScale], "x_scale")[0]);
    const int32_t x_zp = size_t(kQXZp) < in.size() && in[kQXZp].defined() ? int32_t(in[kQXZp].as_int64(0)) : 0;
    QMatMulEpilogue epi = epi_;
    epi.mult = mult_.data();
    epi.bias = bias_.data();
    epi.y = out[0].raw();
    const int64_t m = x.numel() / w_.k;
    cpu::qgemm_u8s8(static_cast<const uint8_t*>(x.raw()), m, w_.k, x.dtype() == DType::kInt8, x_zp, w_, epi);
  }
  std::string_view name() const override { return "cpu:qmatmul-avx2"; }

 private:
  // The reference's float(x_s * w_s[c]) with x_s promoted to double.
  void set_mult(float x_scale) {
    for (int64_t c = 0; c < w_.n; ++c)
      mult_[size_t(c)] = float(double(x_scale) * w_scales_[w_scales_.size() == 1 ? 0 : size_t(c)]);
  }

  const ir::Node& node_;
  cpu::PackedS8Weights w_;
  bool runtime_scale_ = false;
  std::vector<float> w_scales_, mult_, bias_;
  QMatMulEpilogue epi_;
};

std::unique_ptr<Kernel> make_qmatmul_avx2(const ir::Node& node, std::span<const ValueMeta> in) {
  if (cpu_has_vnni()) return nullptr;  // oneDNN's VNNI kernel needs no weight range limit
  auto has = [&](int i) { return size_t(i) < in.size() && in[size_t(i)].present(); };
  for (int i : {int(kQW), int(kQWScale), int(kQWZp), int(kQBias), int(kQYScale), int(kQYZp)})
    if (has(i) && !in[size_t(i)].value) return nullptr;
  const Shape& xs = in[kQX].shape;
  if (xs.empty() || in[kQW].shape.size() != 2) return nullptr;
  std::vector<ValueMeta> out(1);
  if (!schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid parameters
  const int64_t k = xs.back(), n = in[kQW].shape[1];
  if (k == 0 || n == 0 || in[kQW].shape[0] != k) return nullptr;
  const Tensor& w = *in[kQW].value;
  const Tensor* wz = has(kQWZp) ? in[kQWZp].value : nullptr;
  std::vector<int16_t> centered(size_t(k * n));
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      centered[size_t(r * n + c)] =
          int16_t(w.as_int64(r * n + c) - (wz ? wz->as_int64(wz->numel() == 1 ? 0 : c) : 0));
  cpu::PackedS8Weights packed;
  if (!cpu::pack_s8_weights(centered.data(), k, n, packed)) return nullptr;
  return std::make_unique<QMatMulAvx2Kernel>(node, in, std::move(packed), out[0].dtype);
}

}  // namespace

std::vector<KernelEntry> cpu_qmatmul_kernels() { return {{"com.shrink", "QMatMul", make_qmatmul_avx2}}; }

}  // namespace shrink::runtime
