// The blocked matrix product behind the reference MatMul/Gemm/Einsum kernels: B is packed into
// K x N panels of NR-wide strips that stay in L2, and an MR x NR tile of C is accumulated in
// registers over a whole panel (the BLAS scheme, in portable C++ with `omp simd`).
#include <algorithm>
#include <vector>

#include "ops/nn/matmul.h"

namespace shrink::ops {
namespace {

constexpr int64_t kKc = 256;  // panel depth
constexpr int64_t kNc = 256;  // panel width
constexpr int kMr = 4;

// 32 bytes (one AVX2 register) x 2 per tile row.
template <class T> constexpr int kNr = int(64 / sizeof(T));

// c[MR x NR] += a[MR x kc] * panel strip[kc x NR]; the accumulator stays in registers.
template <class T, int MR, int NR>
inline void micro_tile(int64_t kc, const T* a, int64_t ars, int64_t acs, const T* strip, T* c, int64_t ldc) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const T* br = strip + p * NR;
    for (int r = 0; r < MR; ++r) {
      const T av = a[r * ars + p * acs];
#pragma omp simd
      for (int j = 0; j < NR; ++j) acc[r][j] += av * br[j];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) c[r * ldc + j] += acc[r][j];
}

// Edge tiles (fewer rows or columns than a full tile), same arithmetic with runtime bounds.
template <class T, int NR>
void edge_tile(int64_t mr, int64_t nr, int64_t kc, const T* a, int64_t ars, int64_t acs, const T* strip, T* c,
               int64_t ldc) {
  for (int64_t r = 0; r < mr; ++r) {
    T acc[NR] = {};
    for (int64_t p = 0; p < kc; ++p) {
      const T av = a[r * ars + p * acs];
      const T* br = strip + p * NR;
      for (int64_t j = 0; j < nr; ++j) acc[j] += av * br[j];
    }
    for (int64_t j = 0; j < nr; ++j) c[r * ldc + j] += acc[j];
  }
}

// Matrix-vector (n == 1): a dot product per row.
template <class T>
void matvec(int64_t m, int64_t k, MatView<T> a, MatView<T> b, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    const T* ar = a.data + i * a.row_stride;
    T s = 0;
    if (a.col_stride == 1 && b.row_stride == 1) {
#pragma omp simd reduction(+ : s)
      for (int64_t p = 0; p < k; ++p) s += ar[p] * b.data[p];
    } else {
      for (int64_t p = 0; p < k; ++p) s += ar[p * a.col_stride] * b.data[p * b.row_stride];
    }
    c[i * ldc] += s;
  }
}

}  // namespace

template <class T>
void matmul_block(int64_t m, int64_t n, int64_t k, MatView<T> a, MatView<T> b, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  if (n == 1) return matvec(m, k, a, b, c, ldc);
  constexpr int NR = kNr<T>;
  std::vector<T> panel(size_t(kKc * ((std::min(n, kNc) + NR - 1) / NR) * NR));
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    const int64_t strips = (nc + NR - 1) / NR;
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kc = std::min(kKc, k - p0);
      // Pack B[p0:p0+kc, j0:j0+nc] as strips of NR columns, each kc x NR row-major, zero padded.
      for (int64_t s = 0; s < strips; ++s) {
        T* dst = panel.data() + s * kc * NR;
        const int64_t jn = std::min<int64_t>(NR, nc - s * NR);
        for (int64_t p = 0; p < kc; ++p) {
          const T* src = b.data + (p0 + p) * b.row_stride + (j0 + s * NR) * b.col_stride;
          for (int64_t j = 0; j < jn; ++j) dst[p * NR + j] = src[j * b.col_stride];
          for (int64_t j = jn; j < NR; ++j) dst[p * NR + j] = T(0);
        }
      }
      const T* a0 = a.data + p0 * a.col_stride;
      for (int64_t s = 0; s < strips; ++s) {
        const T* strip = panel.data() + s * kc * NR;
        const int64_t jn = std::min<int64_t>(NR, nc - s * NR);
        T* cs = c + j0 + s * NR;
        int64_t i = 0;
        if (jn == NR) {
          for (; i + kMr <= m; i += kMr)
            micro_tile<T, kMr, NR>(kc, a0 + i * a.row_stride, a.row_stride, a.col_stride, strip, cs + i * ldc, ldc);
        }
        if (i < m) edge_tile<T, NR>(m - i, jn, kc, a0 + i * a.row_stride, a.row_stride, a.col_stride, strip,
                                    cs + i * ldc, ldc);
      }
    }
  }
}

template void matmul_block<float>(int64_t, int64_t, int64_t, MatView<float>, MatView<float>, float*, int64_t);
template void matmul_block<double>(int64_t, int64_t, int64_t, MatView<double>, MatView<double>, double*, int64_t);
template void matmul_block<uint32_t>(int64_t, int64_t, int64_t, MatView<uint32_t>, MatView<uint32_t>, uint32_t*,
                                     int64_t);
template void matmul_block<uint64_t>(int64_t, int64_t, int64_t, MatView<uint64_t>, MatView<uint64_t>, uint64_t*,
                                     int64_t);

void matmul_tasks(int64_t batches, int64_t m, int64_t n, int64_t k,
                  const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t)>& fn) {
  if (batches <= 0 || m <= 0 || n <= 0) return;
  const int64_t threads = num_threads();
  constexpr int64_t kRowTile = 64;
  const int64_t row_tiles = (m + kRowTile - 1) / kRowTile;
  // Few rows (e.g. one token through a Linear layer): split the columns instead.
  int64_t col_tiles = 1;
  if (batches * row_tiles < 2 * threads && n >= 128)
    col_tiles = std::min<int64_t>((n + 63) / 64, (2 * threads + batches * row_tiles - 1) / (batches * row_tiles));
  const int64_t col_tile = ((n + col_tiles - 1) / col_tiles + 15) / 16 * 16;
  col_tiles = (n + col_tile - 1) / col_tile;
  const int64_t tasks = batches * row_tiles * col_tiles;
  // Tiny products are not worth waking threads for.
  const double flops = double(batches) * double(m) * double(n) * double(std::max<int64_t>(k, 1));
  const int64_t grain = flops < 1e6 ? tasks : 1;
  parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t ct = t % col_tiles, rt = (t / col_tiles) % row_tiles, bt = t / (col_tiles * row_tiles);
      fn(bt, rt * kRowTile, std::min(m, (rt + 1) * kRowTile), ct * col_tile, std::min(n, (ct + 1) * col_tile));
    }
  });
}

}  // namespace shrink::ops
