// MatMul and Gemm (fp32) on OpenBLAS's sgemm. On CPUs without AVX-512 (AMD EPYC here) OpenBLAS's
// hand-tuned kernels run about twice as fast as oneDNN 2.6's jit sgemm and on par with ONNX
// Runtime's MLAS (see docs/benchmarks.md), so they come before oneDNN's in the kernel table (products
// with a constant weight and 16+ rows run on our packed-B GEMM, runtime/cpu/sgemm_packed.h). OpenBLAS is the
// OpenMP build: the session's thread setting governs it too. Transposes are sgemm flags; a batched
// MatMul is one sgemm per (broadcast) batch.
#include <cblas.h>

#include <algorithm>

#include <cstring>

#include "core/threads.h"
#include "ops/internal/fused_matmul.h"
#include "ops/nn/gemm.h"
#include "ops/nn/matmul.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

// Below this many rows the product is a matrix-vector one, bound by reading the weights: sgemm
// re-packs B on every call, while oneDNN's kernel reads its pre-reordered copy (3x faster at M=1).
constexpr int64_t kMinRows = 16;

// Row-major C[m, n] = alpha * op(A) * op(B) + beta * C with A not transposed. With several threads
// and enough rows the rows are split evenly and each thread runs a single-threaded sgemm on its
// block (OpenBLAS's OpenMP build runs sequentially inside a parallel region): OpenBLAS's own
// threading scales poorly on the 64-256-row products of batched MLPs and Transformer layers.
void sgemm_rows(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                bool trans_b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const int threads = num_threads();
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  constexpr int64_t kMinRowsPerThread = 16;
  if (threads <= 1 || m < 2 * kMinRowsPerThread) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c,
                int(ldc));
    return;
  }
  const int parts = int(std::min<int64_t>(threads, m / kMinRowsPerThread));
#pragma omp parallel for num_threads(parts) schedule(static)
  for (int p = 0; p < parts; ++p) {
    // Row blocks in multiples of 8 (OpenBLAS's register tile) where possible.
    const int64_t r0 = m * p / parts / 8 * 8, r1 = p + 1 == parts ? m : m * (p + 1) / parts / 8 * 8;
    if (r1 > r0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, int(r1 - r0), int(n), int(k), alpha, a + r0 * lda, int(lda), b,
                  int(ldb), beta, c + r0 * ldc, int(ldc));
  }
}

bool all_float32(std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.present() && m.dtype != DType::kFloat32) return false;
  return true;
}

class SgemmMatMul final : public Kernel {
 public:
  explicit SgemmMatMul(ops::MatMulShape s) : s_(std::move(s)) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* a = in[0].data<float>();
    const float* b = in[1].data<float>();
    float* c = out[0].data<float>();
    const int64_t m = s_.m, n = s_.n, k = s_.k, batches = s_.batch_count();
    const size_t r = s_.batch.size();
    // Batch strides in elements (0 where an operand is broadcast).
    std::vector<int64_t> a_stride(r), b_stride(r);
    int64_t as = m * k, bs = k * n;
    for (size_t i = r; i-- > 0;) {
      a_stride[i] = s_.a_batch[i] == 1 ? 0 : as;
      b_stride[i] = s_.b_batch[i] == 1 ? 0 : bs;
      as *= s_.a_batch[i];
      bs *= s_.b_batch[i];
    }
    auto product = [&](int64_t t) {
      int64_t ao = 0, bo = 0, rest = t;
      for (size_t i = r; i-- > 0;) {
        const int64_t j = rest % s_.batch[i];
        rest /= s_.batch[i];
        ao += j * a_stride[i];
        bo += j * b_stride[i];
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.f, a + ao, int(k), b + bo,
                  int(n), 0.f, c + t * m * n, int(n));
    };
    if (batches == 1) return sgemm_rows(m, n, k, 1.f, a, k, b, false, n, 0.f, c, n);
    // Many small products (attention heads): one per thread, each sgemm then runs single-threaded
    // (OpenBLAS's OpenMP build does not nest). Few large ones: sgemm threads each.
    const int threads = num_threads();
    if (batches >= threads && threads > 1 && m * n * k < (int64_t(1) << 24)) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t t = 0; t < batches; ++t) product(t);
    } else {
      for (int64_t t = 0; t < batches; ++t) product(t);
    }
  }
  std::string_view name() const override { return "blas:sgemm"; }

 private:
  ops::MatMulShape s_;
};

std::unique_ptr<Kernel> make_matmul(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (!all_float32(in) || in[0].shape.empty() || in[1].shape.empty()) return nullptr;
  ops::MatMulShape s = ops::matmul_shape(in[0].shape, in[1].shape, node.label());
  if (in[1].shape.size() == 2 && in[0].shape.size() >= 2 && s.batch_count() > 1) {
    // Every batch of A meets the same B: one [batch*m, k] x [k, n] product (A and Y are contiguous).
    s.m *= s.batch_count();
    s.batch = s.a_batch = s.b_batch = {};
  }
  if (s.m < kMinRows) return nullptr;
  const int64_t lim = int64_t(1) << 31;
  if (s.m * s.n == 0 || s.k == 0 || s.m >= lim || s.n >= lim || s.k >= lim) return nullptr;
  return std::make_unique<SgemmMatMul>(std::move(s));
}

// com.shrink FusedMatMul: one sgemm over [rows, K] x [K, N], then one pass adding the bias and the
// residual and applying the activation while the rows are still in cache.
class SgemmFusedMatMul final : public Kernel {
 public:
  SgemmFusedMatMul(const ops::FusedMatMulAttrs& a, int64_t m, int64_t n, int64_t k) : a_(a), m_(m), n_(n), k_(k) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    float* y = out[0].data<float>();
    sgemm_rows(m_, n_, k_, 1.f, in[0].data<float>(), k_, in[1].data<float>(), false, n_, 0.f, y, n_);
    const float* bias = in.size() > 2 && in[2].defined() ? in[2].data<float>() : nullptr;
    const float* res = in.size() > 3 && in[3].defined() ? in[3].data<float>() : nullptr;
    if (!bias && !res && a_.activation == ops::Activation::kNone) return;
    const int64_t rows_per_task = std::max<int64_t>(1, (int64_t(1) << 14) / n_);
#pragma omp parallel for num_threads(num_threads()) schedule(static)
    for (int64_t r0 = 0; r0 < m_; r0 += rows_per_task) {
      const int64_t r1 = std::min(m_, r0 + rows_per_task);
      for (int64_t r = r0; r < r1; ++r) {
        float* row = y + r * n_;
        if (bias)
          for (int64_t j = 0; j < n_; ++j) row[j] += bias[j];
        if (res) {
          const float* rr = res + r * n_;
          for (int64_t j = 0; j < n_; ++j) row[j] += rr[j];
        }
        if (a_.activation == ops::Activation::kRelu) {
          for (int64_t j = 0; j < n_; ++j) row[j] = row[j] > 0.f ? row[j] : 0.f;
        } else {
          ops::apply_activation(a_.activation, a_.alpha, a_.beta, row, n_);
        }
      }
    }
  }
  std::string_view name() const override { return "blas:sgemm"; }

 private:
  ops::FusedMatMulAttrs a_;
  int64_t m_, n_, k_;
};

std::unique_ptr<Kernel> make_fused_matmul(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (!all_float32(in) || in[0].shape.empty() || in[1].shape.size() != 2) return nullptr;
  const int64_t k = in[0].shape.back(), n = in[1].shape[1];
  if (k != in[1].shape[0] || n == 0 || k == 0) return nullptr;  // inference reports mismatches
  const int64_t m = numel(in[0].shape) / k;
  if (m < kMinRows) return nullptr;
  Shape y = in[0].shape;
  y.back() = n;
  if (in.size() > 3 && in[3].present() && in[3].shape != y) return nullptr;  // broadcasting residual: reference
  const int64_t lim = int64_t(1) << 31;
  if (m >= lim || n >= lim || k >= lim) return nullptr;
  return std::make_unique<SgemmFusedMatMul>(node.attrs_as<ops::FusedMatMulAttrs>(), m, n, k);
}

class SgemmGemm final : public Kernel {
 public:
  SgemmGemm(const ops::GemmAttrs& a, int64_t m, int64_t n, int64_t k) : a_(a), m_(m), n_(n), k_(k) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    float* y = out[0].data<float>();
    float beta = 0.f;
    if (in.size() > 2 && in[2].defined() && a_.beta != 0.f) {
      // Y = broadcast(C), then sgemm accumulates with beta.
      const Tensor& c = in[2];
      const float* cp = c.data<float>();
      const int64_t cr = c.rank() == 2 ? c.dim(0) : 1, cc = c.rank() == 0 ? 1 : c.shape().back();
      for (int64_t i = 0; i < m_; ++i) {
        const float* row = cp + (cr == 1 ? 0 : i) * cc;
        float* dst = y + i * n_;
        if (cc == n_) std::memcpy(dst, row, size_t(n_) * sizeof(float));
        else std::fill(dst, dst + n_, row[0]);
      }
      beta = a_.beta;
    }
    if (!a_.trans_a) {
      sgemm_rows(m_, n_, k_, a_.alpha, in[0].data<float>(), k_, in[1].data<float>(), a_.trans_b, a_.trans_b ? k_ : n_,
                 beta, y, n_);
      return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, a_.trans_b ? CblasTrans : CblasNoTrans, int(m_), int(n_), int(k_), a_.alpha,
                in[0].data<float>(), int(m_), in[1].data<float>(), int(a_.trans_b ? k_ : n_), beta, y, int(n_));
  }
  std::string_view name() const override { return "blas:sgemm"; }

 private:
  ops::GemmAttrs a_;
  int64_t m_, n_, k_;
};

std::unique_ptr<Kernel> make_gemm(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (!all_float32(in) || in[0].shape.size() != 2 || in[1].shape.size() != 2) return nullptr;
  const auto& a = node.attrs_as<ops::GemmAttrs>();
  const int64_t m = a.trans_a ? in[0].shape[1] : in[0].shape[0], k = a.trans_a ? in[0].shape[0] : in[0].shape[1];
  const int64_t kb = a.trans_b ? in[1].shape[1] : in[1].shape[0], n = a.trans_b ? in[1].shape[0] : in[1].shape[1];
  if (k != kb || m == 0 || n == 0 || k == 0) return nullptr;  // inference reports mismatches
  if (m < kMinRows) return nullptr;
  if (in.size() > 2 && in[2].present()) {
    const Shape& c = in[2].shape;
    if (c.size() > 2) return nullptr;
    const int64_t cr = c.size() == 2 ? c[0] : 1, cc = c.empty() ? 1 : c.back();
    if ((cr != 1 && cr != m) || (cc != 1 && cc != n)) return nullptr;
  }
  const int64_t lim = int64_t(1) << 31;
  if (m >= lim || n >= lim || k >= lim) return nullptr;
  return std::make_unique<SgemmGemm>(a, m, n, k);
}

}  // namespace

void set_blas_threads(int n) {
  // OpenBLAS reads the OpenMP thread count once, at load; later changes must be passed explicitly.
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

std::vector<KernelEntry> blas_kernels() {
  return {{"", "Gemm", make_gemm}, {"", "MatMul", make_matmul}, {"com.shrink", "FusedMatMul", make_fused_matmul}};
}

}  // namespace shrink::runtime
