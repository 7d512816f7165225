// The AVX2 u8 x s8 -> s32 product of qgemm_avx2.h: weight packing, a 1-4 row x 16 column
// micro-kernel (vpbroadcastd of 4 source bytes, vpmaddubsw against the packed panel, vpmaddwd
// with ones, vpaddd into int32 accumulators) and the driver that walks tiles over threads.
#include "runtime/cpu/qgemm_avx2.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/threads.h"

namespace shrink::runtime::cpu {
namespace {

constexpr int kGroupBytes = kQGemmPanel * 4;  // one K group of a panel: 16 columns x 4 k
// Row blocks (of kQGemmRows) that share one pass over a panel: 64 rows of x stay in L2 while the
// panel (K x 16 bytes) stays in L1.
constexpr int64_t kBlocksPerGroup = 16;
// Products smaller than this many multiply-adds run on one thread (a parallel region costs more).
constexpr int64_t kMinParallelWork = int64_t(1) << 17;

inline __m256i broadcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// out[r * 16 + j] = sum_k x'[r, k] * w[k, j] - x_zp * col_sums[j] for the MR rows of one panel,
// where x' is x (u8) or x ^ 0x80 (s8 read as u8 shifted by 128; x_zp already includes the 128).
template <int MR, bool kFlip>
void micro_kernel(const uint8_t* x, int64_t lda, const int8_t* panel, int64_t k, const int32_t* col_sums,
                  int32_t x_zp, int32_t* out) {
  __m256i acc[MR][2];
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8(char(0x80));
  // 8 accumulators, the panel's two vectors, ones and temporaries fit the 16 ymm registers (this
  // file compiles with -fno-tree-pre, see CMakeLists.txt, or g++ spills and copies them).
  auto row = [&](int r, __m256i a, __m256i b0, __m256i b1) {
    if constexpr (kFlip) a = _mm256_xor_si256(a, flip);
    acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
    acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
  };
  const int64_t full = k / 4;
  for (int64_t g = 0; g < full; ++g) {
    const int8_t* b = panel + g * kGroupBytes;
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) row(r, broadcast4(x + r * lda + 4 * g), b0, b1);
  }
  if (const int64_t tail = k - 4 * full; tail > 0) {  // the packed panel holds zeros past K
    const int8_t* b = panel + full * kGroupBytes;
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      uint8_t bytes[4] = {0, 0, 0, 0};
      std::memcpy(bytes, x + r * lda + 4 * full, size_t(tail));
      row(r, broadcast4(bytes), b0, b1);
    }
  }
  const __m256i zp = _mm256_set1_epi32(x_zp);
  const __m256i c0 = _mm256_mullo_epi32(zp, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_sums)));
  const __m256i c1 = _mm256_mullo_epi32(zp, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_sums + 8)));
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * 16), _mm256_sub_epi32(acc[r][0], c0));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * 16 + 8), _mm256_sub_epi32(acc[r][1], c1));
  }
}

using MicroKernel = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, const int32_t*, int32_t, int32_t*);
constexpr MicroKernel kKernels[2][kQGemmRows] = {
    {micro_kernel<1, false>, micro_kernel<2, false>, micro_kernel<3, false>, micro_kernel<4, false>},
    {micro_kernel<1, true>, micro_kernel<2, true>, micro_kernel<3, true>, micro_kernel<4, true>}};

}  // namespace

bool pack_s8_weights(const int16_t* w, int64_t k, int64_t n, PackedS8Weights& out) {
  for (int64_t i = 0; i < k * n; ++i)
    if (std::abs(int(w[i])) > kQGemmMaxWeight) return false;
  PackedS8Weights p;
  p.k = k;
  p.n = n;
  p.groups = (k + 3) / 4;
  p.panels = (n + kQGemmPanel - 1) / kQGemmPanel;
  p.data = Tensor(DType::kInt8, {p.panels * p.groups * kGroupBytes});
  p.col_sums.assign(size_t(p.panels * kQGemmPanel), 0);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) {
      const int16_t v = w[r * n + c];
      p.panel(c / kQGemmPanel)[(r / 4) * kGroupBytes + (c % kQGemmPanel) * 4 + r % 4] = int8_t(v);
      p.col_sums[size_t(c)] += v;
    }
  out = std::move(p);
  return true;
}

void qgemm_u8s8(const uint8_t* x, int64_t m, int64_t lda, bool x_signed, int32_t x_zp, const PackedS8Weights& w,
                const QGemmSink& sink) {
  if (m <= 0 || w.panels == 0) return;
  const int32_t zp = x_signed ? x_zp + 128 : x_zp;
  const int64_t blocks = (m + kQGemmRows - 1) / kQGemmRows;
  auto run = [&](int64_t b0, int64_t b1, int64_t p0, int64_t p1) {
    alignas(32) int32_t acc[kQGemmRows * kQGemmPanel];
    for (int64_t gb = b0; gb < b1; gb += kBlocksPerGroup) {
      const int64_t ge = std::min(b1, gb + kBlocksPerGroup);
      for (int64_t p = p0; p < p1; ++p)
        for (int64_t b = gb; b < ge; ++b) {
          const int64_t row0 = b * kQGemmRows;
          const int rows = int(std::min<int64_t>(kQGemmRows, m - row0));
          kKernels[x_signed][rows - 1](x + row0 * lda, lda, w.panel(p), w.k, w.col_sums.data() + p * kQGemmPanel, zp,
                                       acc);
          sink.tile(row0, rows, p * kQGemmPanel, acc);
        }
    }
  };
  const int threads = num_threads();
  if (threads <= 1 || m * w.n * w.k < kMinParallelWork) {
    run(0, blocks, 0, w.panels);
  } else if (blocks >= 2 * threads) {
    parallel_for(blocks, 1, [&](int64_t b, int64_t e) { run(b, e, 0, w.panels); });
  } else {  // few rows (a matrix-vector product): split the weights' panels instead
    parallel_for(w.panels, 1, [&](int64_t b, int64_t e) { run(0, blocks, b, e); });
  }
}

}  // namespace shrink::runtime::cpu
