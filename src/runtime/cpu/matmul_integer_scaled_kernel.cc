// com.shrink MatMulIntegerScaled (attention's dynamically quantized Q K^T and A V) on the packed fp32
// GEMM (sgemm_packed.h): a - a_zp and b - b_zp are integers in [-255, 255], so for K <= 258 every
// product and every partial sum is an integer below 2^24, exact in float32 in any order; the tile
// epilogue multiplies the exact sum by scale in float32, as the reference's Cast -> Mul does. Each
// run converts a to float once and packs each of b's matrices (minus its zero point) straight from
// the int8 values into 16-column panels; matrices of a batch go to separate threads. Per-tensor
// zero points only; other cases keep the reference kernel.
#include <immintrin.h>

#include <algorithm>

#include "core/threads.h"
#include "ops/nn/matmul.h"
#include "runtime/cpu/int8_to_float.h"
#include "runtime/cpu/sgemm_packed.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kP = PackedB::kPanel;

// b [k, n] (uint8, or int8 when kSigned) minus z into p's panels.
template <bool kSigned>
void pack(const uint8_t* b, int64_t k, int64_t n, float z, PackedB& p) {
  const __m256 vz = _mm256_set1_ps(z);
  for (int64_t q = 0; q < p.panels(); ++q) {
    float* dst = p.panel(q);
    const int64_t col0 = q * kP, cols = std::min(kP, n - col0);
    for (int64_t kk = 0; kk < k; ++kk, dst += kP) {
      const uint8_t* src = b + kk * n + col0;
      if (cols == kP) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
        const __m256i lo = kSigned ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
        const __m256i hi = kSigned ? _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)) : _mm256_cvtepu8_epi32(_mm_srli_si128(v, 8));
        _mm256_store_ps(dst, _mm256_sub_ps(_mm256_cvtepi32_ps(lo), vz));
        _mm256_store_ps(dst + 8, _mm256_sub_ps(_mm256_cvtepi32_ps(hi), vz));
      } else {
        for (int64_t j = 0; j < kP; ++j)
          dst[j] = j < cols ? float(kSigned ? int(int8_t(src[j])) : int(src[j])) - z : 0.f;
      }
    }
  }
}

class MatMulIntegerScaledKernel final : public Kernel {
 public:
  explicit MatMulIntegerScaledKernel(ops::MatMulShape s) : s_(std::move(s)) {
    const size_t r = s_.batch.size();
    a_stride_.resize(r);
    b_stride_.resize(r);
    int64_t as = 1, bs = 1;  // in matrices, 0 where an operand is broadcast
    for (size_t i = r; i-- > 0;) {
      a_stride_[i] = s_.a_batch[i] == 1 ? 0 : as;
      b_stride_[i] = s_.b_batch[i] == 1 ? 0 : bs;
      as *= s_.a_batch[i];
      bs *= s_.b_batch[i];
    }
    for (int64_t i = 0; i < bs; ++i) b_.emplace_back(s_.k, s_.n);
    a_.resize(size_t(as * s_.m * s_.k));
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float az = cpu::scalar_zero_point(in.size() > 3 ? &in[3] : nullptr);
    const float bz = cpu::scalar_zero_point(in.size() > 4 ? &in[4] : nullptr);
    GemmEpilogue epi;
    epi.scaled = true;
    epi.scale = in[2].data<float>()[0];
    cpu::int8_to_float(in[0], az, a_.data());
    const auto* b = static_cast<const uint8_t*>(in[1].raw());
    const bool b_signed = in[1].dtype() == DType::kInt8;
    const int64_t m = s_.m, n = s_.n, k = s_.k, batches = s_.batch_count();
    float* y = out[0].data<float>();
    auto pack_one = [&](int64_t i) {
      if (b_signed) pack<true>(b + i * k * n, k, n, bz, b_[size_t(i)]);
      else pack<false>(b + i * k * n, k, n, bz, b_[size_t(i)]);
    };
    auto product = [&](int64_t t) {
      int64_t ai = 0, bi = 0, rest = t;
      for (size_t i = s_.batch.size(); i-- > 0;) {
        const int64_t j = rest % s_.batch[i];
        rest /= s_.batch[i];
        ai += j * a_stride_[i];
        bi += j * b_stride_[i];
      }
      sgemm_packed(m, a_.data() + ai * m * k, k, b_[size_t(bi)], y + t * m * n, n, epi);
    };
    const int64_t nb = int64_t(b_.size());
    // Whole matrices per thread when there are several (sgemm_packed then runs on its one thread).
    if (batches > 1 && num_threads() > 1) {
      parallel_for(nb, 1, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) pack_one(i);
      });
      parallel_for(batches, 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) product(t);
      });
    } else {
      for (int64_t i = 0; i < nb; ++i) pack_one(i);
      for (int64_t t = 0; t < batches; ++t) product(t);
    }
  }
  std::string_view name() const override { return "cpu:matmul-integer-scaled"; }

 private:
  ops::MatMulShape s_;
  std::vector<int64_t> a_stride_, b_stride_;
  std::vector<float> a_;     // a minus its zero point (reused across runs)
  std::vector<PackedB> b_;   // each of b's matrices minus its zero point, packed (reused across runs)
};

bool int8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

std::unique_ptr<Kernel> make(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in.size() < 3 || !int8(in[0].dtype) || !int8(in[1].dtype) || in[0].shape.size() < 2 ||
      in[1].shape.size() < 2)
    return nullptr;
  for (size_t i = 3; i < in.size(); ++i)
    if (in[i].present() && (numel(in[i].shape) != 1 || in[i].shape.size() > 1)) return nullptr;
  std::vector<ops::ValueMeta> out(1);
  if (!ops::schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid operands
  ops::MatMulShape s = ops::matmul_shape(in[0].shape, in[1].shape, node.label());
  const int64_t lim = int64_t(1) << 31;
  if (s.k > cpu::kMaxExactIntegerK || s.k == 0 || s.m * s.n == 0 || s.m >= lim || s.n >= lim) return nullptr;
  return std::make_unique<MatMulIntegerScaledKernel>(std::move(s));
}

}  // namespace

std::vector<KernelEntry> cpu_matmul_integer_scaled_kernels() {
  return {{"com.shrink", "MatMulIntegerScaled", make}};
}

}  // namespace shrink::runtime
