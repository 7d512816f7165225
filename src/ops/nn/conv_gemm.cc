// The blocked single-thread GEMM behind the Conv/ConvTranspose reference kernels: K is split in
// blocks that keep a packed B panel in L1/L2, and a 4 x 16 register tile accumulates C. Plain C++;
// the fixed-size inner loops are what the compiler vectorizes. Summation order is fixed, so results
// do not depend on how callers split rows and columns across threads.
#include <algorithm>
#include <vector>

#include "ops/nn/conv.h"

namespace shrink::ops {
namespace {

constexpr int64_t kMr = 4;
constexpr int64_t kNr = 16;
constexpr int64_t kKc = 256;

// acc[MR][NR] over k in [0, kc) with B packed as kc rows of kNr.
template <class T, int64_t MR>
inline void micro_tile(int64_t kc, const T* A, int64_t lda, const T* Bp, T* C, int64_t ldc, int64_t nr) {
  T acc[MR][kNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const T* b = Bp + k * kNr;
    for (int64_t i = 0; i < MR; ++i) {
      const T a = A[i * lda + k];
#pragma omp simd
      for (int64_t j = 0; j < kNr; ++j) acc[i][j] += a * b[j];
    }
  }
  for (int64_t i = 0; i < MR; ++i)
    for (int64_t j = 0; j < nr; ++j) C[i * ldc + j] += acc[i][j];
}

template <class T>
void gemm_impl(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
               int64_t ldc) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  if (M == 1) {  // depthwise conv: a packed panel would cost as much as the product itself
    for (int64_t k = 0; k < K; ++k) {
      const T a = A[k];
      const T* b = B + k * ldb;
#pragma omp simd
      for (int64_t j = 0; j < N; ++j) C[j] += a * b[j];
    }
    return;
  }
  std::vector<T> packed(size_t(kKc * kNr));
  for (int64_t k0 = 0; k0 < K; k0 += kKc) {
    const int64_t kc = std::min(kKc, K - k0);
    for (int64_t j0 = 0; j0 < N; j0 += kNr) {
      const int64_t nr = std::min(kNr, N - j0);
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + (k0 + k) * ldb + j0;
        T* dst = packed.data() + k * kNr;
        for (int64_t j = 0; j < nr; ++j) dst[j] = src[j];
        for (int64_t j = nr; j < kNr; ++j) dst[j] = T(0);
      }
      int64_t i0 = 0;
      for (; i0 + kMr <= M; i0 += kMr)
        micro_tile<T, kMr>(kc, A + i0 * lda + k0, lda, packed.data(), C + i0 * ldc + j0, ldc, nr);
      for (; i0 < M; ++i0) micro_tile<T, 1>(kc, A + i0 * lda + k0, lda, packed.data(), C + i0 * ldc + j0, ldc, nr);
    }
  }
}

}  // namespace

void gemm_accumulate(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                     float* C, int64_t ldc) {
  gemm_impl(M, N, K, A, lda, B, ldb, C, ldc);
}

void gemm_accumulate(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
                     int64_t ldb, double* C, int64_t ldc) {
  gemm_impl(M, N, K, A, lda, B, ldb, C, ldc);
}

}  // namespace shrink::ops
