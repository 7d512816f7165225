// MatMulInteger of two run-time operands (attention's Q K^T and A V after dynamic quantization) on
// OpenBLAS's sgemm: each operand minus its zero point is an integer in [-255, 255], so every
// product and every partial sum of a K <= 258 reduction is an integer below 2^24 in magnitude,
// exact in float32 whatever the summation order. The float result converted back to int32 is the
// reference's exact int32 product, bit for bit. Per-tensor zero points only.
#include <cblas.h>
#include <immintrin.h>

#include <cmath>

#include "core/threads.h"
#include "ops/nn/matmul.h"
#include "runtime/cpu/int8_to_float.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

// Exact integers in float to int32.
void to_int32(const float* c, int64_t n, int32_t* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_cvttps_epi32(_mm256_loadu_ps(c + i)));
  for (; i < n; ++i) y[i] = int32_t(c[i]);
}

class SgemmMatMulInteger final : public Kernel {
 public:
  explicit SgemmMatMulInteger(ops::MatMulShape s) : s_(std::move(s)) {}

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor* a_zp = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
    const Tensor* b_zp = in.size() > 3 && in[3].defined() ? &in[3] : nullptr;
    a_.resize(size_t(in[0].numel()));
    b_.resize(size_t(in[1].numel()));
    c_.resize(size_t(out[0].numel()));
    cpu::int8_to_float(in[0], cpu::scalar_zero_point(a_zp), a_.data());
    cpu::int8_to_float(in[1], cpu::scalar_zero_point(b_zp), b_.data());
    const int64_t m = s_.m, n = s_.n, k = s_.k, batches = s_.batch_count();
    const size_t r = s_.batch.size();
    std::vector<int64_t> a_stride(r), b_stride(r);  // in elements, 0 where an operand is broadcast
    int64_t as = m * k, bs = k * n;
    for (size_t i = r; i-- > 0;) {
      a_stride[i] = s_.a_batch[i] == 1 ? 0 : as;
      b_stride[i] = s_.b_batch[i] == 1 ? 0 : bs;
      as *= s_.a_batch[i];
      bs *= s_.b_batch[i];
    }
    int32_t* y = out[0].data<int32_t>();
    auto product = [&](int64_t t) {
      int64_t ao = 0, bo = 0, rest = t;
      for (size_t i = r; i-- > 0;) {
        const int64_t j = rest % s_.batch[i];
        rest /= s_.batch[i];
        ao += j * a_stride[i];
        bo += j * b_stride[i];
      }
      float* c = c_.data() + t * m * n;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.f, a_.data() + ao, int(k),
                  b_.data() + bo, int(n), 0.f, c, int(n));
      to_int32(c, m * n, y + t * m * n);
    };
    // One product per thread (OpenBLAS's OpenMP build runs single-threaded inside the region).
    const int threads = num_threads();
    if (batches > 1 && threads > 1) {
#pragma omp parallel for num_threads(int(std::min<int64_t>(threads, batches))) schedule(static)
      for (int64_t t = 0; t < batches; ++t) product(t);
    } else {
      for (int64_t t = 0; t < batches; ++t) product(t);
    }
  }
  std::string_view name() const override { return "cpu:matmul-integer-sgemm"; }

 private:
  ops::MatMulShape s_;
  std::vector<float> a_, b_, c_;  // operands minus zero points, float result (reused across runs)
};

bool int8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

std::unique_ptr<Kernel> make_matmul_integer(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in.size() < 2 || !int8(in[0].dtype) || !int8(in[1].dtype) || in[0].shape.size() < 2 || in[1].shape.size() < 2)
    return nullptr;
  for (size_t i = 2; i < in.size() && i < 4; ++i)
    if (in[i].present() && (numel(in[i].shape) != 1 || in[i].shape.size() > 1)) return nullptr;
  std::vector<ops::ValueMeta> out(1);
  if (!ops::schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid operands
  ops::MatMulShape s = ops::matmul_shape(in[0].shape, in[1].shape, node.label());
  const int64_t lim = int64_t(1) << 31;
  if (s.k > cpu::kMaxExactIntegerK || s.m * s.n == 0 || s.m >= lim || s.n >= lim || s.k == 0) return nullptr;
  return std::make_unique<SgemmMatMulInteger>(std::move(s));
}

}  // namespace

std::vector<KernelEntry> cpu_matmul_integer_kernels() { return {{"", "MatMulInteger", make_matmul_integer}}; }

}  // namespace shrink::runtime
