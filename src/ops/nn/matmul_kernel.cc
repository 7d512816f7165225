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
constexpr int kMr = 6;  // 6 x 2 accumulator vectors + 2 B vectors + 1 broadcast fit in 16 registers

// One 32-byte vector of T (AVX2 width; GCC lowers it to whatever the target has).
// (GCC ignores vector_size on a dependent type, hence one specialization per kernel type.)
template <class T> struct VecOf;
template <> struct VecOf<float> { typedef float type __attribute__((vector_size(32))); };
template <> struct VecOf<double> { typedef double type __attribute__((vector_size(32))); };
template <> struct VecOf<uint32_t> { typedef uint32_t type __attribute__((vector_size(32))); };
template <> struct VecOf<uint64_t> { typedef uint64_t type __attribute__((vector_size(32))); };
template <class T> using Vec = typename VecOf<T>::type;
template <class T> constexpr int kLanes = int(32 / sizeof(T));
template <class T> constexpr int kNr = 2 * kLanes<T>;

template <class T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

// c[MR x NR] += a[MR x kc] * strip[kc x NR]; the accumulator tile stays in registers. Only the
// first `nr` columns and `MR` rows are stored (the strip is zero padded to NR).
template <class T, int MR>
inline void micro_tile(int64_t kc, const T* a, int64_t ars, int64_t acs, const T* strip, T* c, int64_t ldc,
                       int64_t nr) {
  constexpr int L = kLanes<T>;
  Vec<T> acc[MR][2] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const Vec<T> b0 = load(strip + p * 2 * L), b1 = load(strip + p * 2 * L + L);
    for (int r = 0; r < MR; ++r) {
      const T av = a[r * ars + p * acs];
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
  }
  if (nr == 2 * L) {
    for (int r = 0; r < MR; ++r) {
      T* cr = c + r * ldc;
      const Vec<T> c0 = load(cr) + acc[r][0], c1 = load(cr + L) + acc[r][1];
      __builtin_memcpy(cr, &c0, sizeof(c0));
      __builtin_memcpy(cr + L, &c1, sizeof(c1));
    }
    return;
  }
  for (int r = 0; r < MR; ++r) {
    T tmp[2 * L];
    __builtin_memcpy(tmp, acc[r], sizeof(tmp));
    T* cr = c + r * ldc;
    for (int64_t j = 0; j < nr; ++j) cr[j] += tmp[j];
  }
}

// Fewer than kMr rows left: dispatch to a tile of exactly that height.
template <class T>
void edge_rows(int64_t mr, int64_t kc, const T* a, int64_t ars, int64_t acs, const T* strip, T* c, int64_t ldc,
               int64_t nr) {
  switch (mr) {
    case 1: return micro_tile<T, 1>(kc, a, ars, acs, strip, c, ldc, nr);
    case 2: return micro_tile<T, 2>(kc, a, ars, acs, strip, c, ldc, nr);
    case 3: return micro_tile<T, 3>(kc, a, ars, acs, strip, c, ldc, nr);
    case 4: return micro_tile<T, 4>(kc, a, ars, acs, strip, c, ldc, nr);
    default: return micro_tile<T, 5>(kc, a, ars, acs, strip, c, ldc, nr);
  }
}

// Few rows and contiguous B rows: stream B once without packing (one token through a Linear).
template <class T>
void few_rows(int64_t m, int64_t n, int64_t k, MatView<T> a, MatView<T> b, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* cr = c + i * ldc;
    for (int64_t p = 0; p < k; ++p) {
      const T av = a.data[i * a.row_stride + p * a.col_stride];
      const T* br = b.data + p * b.row_stride;
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) cr[j] += av * br[j];
    }
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
  if (m < kMr && b.col_stride == 1) return few_rows(m, n, k, a, b, c, ldc);
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
          if (b.col_stride == 1) {
            for (int64_t j = 0; j < jn; ++j) dst[p * NR + j] = src[j];
          } else {
            for (int64_t j = 0; j < jn; ++j) dst[p * NR + j] = src[j * b.col_stride];
          }
          for (int64_t j = jn; j < NR; ++j) dst[p * NR + j] = T(0);
        }
      }
      const T* a0 = a.data + p0 * a.col_stride;
      for (int64_t s = 0; s < strips; ++s) {
        const T* strip = panel.data() + s * kc * NR;
        const int64_t jn = std::min<int64_t>(NR, nc - s * NR);
        T* cs = c + j0 + s * NR;
        int64_t i = 0;
        for (; i + kMr <= m; i += kMr)
          micro_tile<T, kMr>(kc, a0 + i * a.row_stride, a.row_stride, a.col_stride, strip, cs + i * ldc, ldc, jn);
        if (i < m)
          edge_rows<T>(m - i, kc, a0 + i * a.row_stride, a.row_stride, a.col_stride, strip, cs + i * ldc, ldc, jn);
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
