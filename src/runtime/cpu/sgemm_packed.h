// Our own fp32 GEMM for products with a constant right-hand side (FusedMatMul's weights): B is packed
// once, when the kernel is made, into panels of 16 columns (K x 16 floats, contiguous, the last panel
// zero-padded), and an AVX2/FMA micro-kernel of 6 rows x 16 columns (12 accumulators) walks them.
// The bias, residual and activation are applied to each finished tile while it is in registers, so
// the output is written once. OpenBLAS re-packs B on every call and applies no epilogue; on the
// 64-256-row, K = 256-1024 products of the Transformer and batched MLPs this runs them faster.
//
// Each output element is one accumulation over k in increasing order, whatever the thread count:
// results do not depend on threads.
#pragma once
#include <cstdint>
#include <memory>

#include "ops/internal/fused_conv.h"  // Activation

namespace shrink::runtime {

class PackedB {
 public:
  static constexpr int64_t kPanel = 16;  // columns per panel
  // b is [k, n] with row stride ldb (or, with trans, [n, k]: op(B) = b^T).
  PackedB(const float* b, int64_t k, int64_t n, int64_t ldb, bool trans);
  // Room for a [k, n] operand, filled by the caller through panel(p): panel p holds rows 0..k of
  // columns 16p..16p+15 as k x 16 floats (columns past n must be zero).
  PackedB(int64_t k, int64_t n);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panels() const { return (n_ + kPanel - 1) / kPanel; }
  const float* panel(int64_t p) const { return data_.get() + p * k_ * kPanel; }
  float* panel(int64_t p) { return data_.get() + p * k_ * kPanel; }

 private:
  int64_t k_, n_;
  std::unique_ptr<float[], void (*)(float*)> data_;
};

struct GemmEpilogue {
  bool scaled = false;  // products multiplied by scale first (float32), when set
  float scale = 1.f;
  const float* bias = nullptr;      // [n], or none
  const float* residual = nullptr;  // [m, n] with row stride ldr, or none
  int64_t ldr = 0;
  ops::Activation activation = ops::Activation::kNone;
  float alpha = 0.f, beta = 0.f;
};

// C[m, n] (row stride ldc) = act(A[m, k] (row stride lda) * B [* scale] + bias + residual), on the session's
// threads.
void sgemm_packed(int64_t m, const float* a, int64_t lda, const PackedB& b, float* c, int64_t ldc,
                  const GemmEpilogue& epi);

}  // namespace shrink::runtime
