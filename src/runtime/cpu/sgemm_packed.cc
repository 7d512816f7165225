// The packed-B fp32 GEMM (sgemm_packed.h): panels of 16 columns, a 6 x 16 AVX2/FMA micro-kernel,
// the epilogue applied to each tile in registers.
#include "runtime/cpu/sgemm_packed.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/threads.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kP = PackedB::kPanel;
constexpr int kRows = 6;                         // micro-kernel rows: 12 accumulators + 2 B + 1 A register
constexpr int64_t kL2Bytes = int64_t(192) << 10;  // B panels walked per row sweep: about half of L2

float* alloc_floats(int64_t n) {
  const size_t bytes = (size_t(std::max<int64_t>(n, 1)) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  SHRINK_CHECK(p != nullptr, "out of memory packing a ", n, "-element weight");
  return p;
}

void free_floats(float* p) { std::free(p); }

inline __m256 activate(__m256 v, const GemmEpilogue& e) {
  if (e.activation == ops::Activation::kRelu) return _mm256_max_ps(v, _mm256_setzero_ps());
  if (e.activation == ops::Activation::kClip)
    return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(e.alpha)), _mm256_set1_ps(e.beta));
  return v;
}

inline bool vector_activation(ops::Activation a) {
  return a == ops::Activation::kNone || a == ops::Activation::kRelu || a == ops::Activation::kClip;
}

// R rows x one 16-column panel over the whole K: c[r][0, cols) for rows row0 .. row0 + R.
template <int R>
void tile(int64_t k, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int64_t row0, int64_t col0,
          int64_t cols, const GemmEpilogue& e) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t kk = 0; kk < k; ++kk, bp += kP) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  if (e.scaled) {
    const __m256 s = _mm256_set1_ps(e.scale);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm256_mul_ps(acc[r][0], s);
      acc[r][1] = _mm256_mul_ps(acc[r][1], s);
    }
  }
  if (cols == kP) {
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (e.bias) {
      bias0 = _mm256_loadu_ps(e.bias + col0);
      bias1 = _mm256_loadu_ps(e.bias + col0 + 8);
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      __m256 v0 = acc[r][0], v1 = acc[r][1];
      if (e.bias) {
        v0 = _mm256_add_ps(v0, bias0);
        v1 = _mm256_add_ps(v1, bias1);
      }
      if (e.residual) {
        const float* res = e.residual + (row0 + r) * e.ldr + col0;
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(res));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(res + 8));
      }
      float* out = c + r * ldc;
      _mm256_storeu_ps(out, activate(v0, e));
      _mm256_storeu_ps(out + 8, activate(v1, e));
      if (!vector_activation(e.activation)) ops::apply_activation(e.activation, e.alpha, e.beta, out, kP);
    }
    return;
  }
  // The last, partial panel: through a buffer, the epilogue per element.
  // (The stores are unrolled so that acc stays in registers in the loop above.)
  alignas(32) float buf[R][kP];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_store_ps(buf[r], acc[r][0]);
    _mm256_store_ps(buf[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < R; ++r) {
    float* out = c + r * ldc;
    for (int64_t j = 0; j < cols; ++j) {
      float v = buf[r][j];
      if (e.bias) v += e.bias[col0 + j];
      if (e.residual) v += e.residual[(row0 + r) * e.ldr + col0 + j];
      if (e.activation == ops::Activation::kRelu) v = v > 0.f ? v : 0.f;
      else if (e.activation == ops::Activation::kClip) v = std::min(std::max(v, e.alpha), e.beta);
      out[j] = v;
    }
    if (!vector_activation(e.activation)) ops::apply_activation(e.activation, e.alpha, e.beta, out, cols);
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                        const GemmEpilogue&);
constexpr TileFn kTiles[kRows + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// Rows [r0, r1) x panels [p0, p1): panels in blocks that stay in L2 while all the rows sweep them.
void block(int64_t r0, int64_t r1, int64_t p0, int64_t p1, const float* a, int64_t lda, const PackedB& b, float* c,
           int64_t ldc, const GemmEpilogue& e) {
  const int64_t k = b.k(), n = b.n();
  const int64_t per_sweep = std::max<int64_t>(1, kL2Bytes / (k * kP * int64_t(sizeof(float))));
  for (int64_t q0 = p0; q0 < p1; q0 += per_sweep) {
    const int64_t q1 = std::min(p1, q0 + per_sweep);
    for (int64_t r = r0; r < r1; r += kRows) {
      const int rows = int(std::min<int64_t>(kRows, r1 - r));
      for (int64_t p = q0; p < q1; ++p) {
        const int64_t col0 = p * kP;
        kTiles[rows](k, a + r * lda, lda, b.panel(p), c + r * ldc + col0, ldc, r, col0, std::min(kP, n - col0), e);
      }
    }
  }
}

}  // namespace

PackedB::PackedB(int64_t k, int64_t n) : k_(k), n_(n), data_(alloc_floats(((n + kP - 1) / kP) * k * kP), free_floats) {}

PackedB::PackedB(const float* b, int64_t k, int64_t n, int64_t ldb, bool trans)
    : k_(k), n_(n), data_(alloc_floats(((n + kP - 1) / kP) * k * kP), free_floats) {
  float* dst = data_.get();
  for (int64_t p = 0; p < panels(); ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < kP; ++j) {
        const int64_t col = p * kP + j;
        *dst++ = col < n ? (trans ? b[col * ldb + kk] : b[kk * ldb + col]) : 0.f;
      }
}

void sgemm_packed(int64_t m, const float* a, int64_t lda, const PackedB& b, float* c, int64_t ldc,
                  const GemmEpilogue& epi) {
  if (m == 0 || b.n() == 0) return;
  if (b.k() == 0) {  // an empty sum: the epilogue on zeros
    for (int64_t r = 0; r < m; ++r) {
      float* row = c + r * ldc;
      for (int64_t j = 0; j < b.n(); ++j) {  // as a tile would: ((0 [* scale]) + bias) + residual
        float v = epi.scaled ? 0.f * epi.scale : 0.f;
        if (epi.bias) v += epi.bias[j];
        if (epi.residual) v += epi.residual[r * epi.ldr + j];
        row[j] = v;
      }
      ops::apply_activation(epi.activation, epi.alpha, epi.beta, row, b.n());
    }
    return;
  }
  const int threads = num_threads();
  const int64_t panels = b.panels();
  const int64_t work = 2 * m * b.k() * panels * kP;  // flops
  if (threads <= 1 || work < (int64_t(1) << 20)) return block(0, m, 0, panels, a, lda, b, c, ldc, epi);
  // Split the columns when there are enough panels (each thread then reads only its part of B, the
  // larger operand of these products), else the rows.
  if (panels >= 2 * threads) {
    parallel_for(panels, 1, [&](int64_t p0, int64_t p1) { block(0, m, p0, p1, a, lda, b, c, ldc, epi); });
  } else {
    const int64_t tiles = (m + kRows - 1) / kRows;
    parallel_for(tiles, 1, [&](int64_t t0, int64_t t1) {
      block(t0 * kRows, std::min(m, t1 * kRows), 0, panels, a, lda, b, c, ldc, epi);
    });
  }
}

}  // namespace shrink::runtime
