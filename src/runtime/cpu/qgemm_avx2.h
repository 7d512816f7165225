// An exact u8 x s8 -> s32 matrix product for AVX2 CPUs without VNNI (the int8 path of QMatMul):
// constant s8 weights packed once into 16-column panels of 4-deep K groups, multiplied with
// vpmaddubsw + vpmaddwd. vpmaddubsw saturates at int16, so the product is exact only when every
// |weight| <= 64 (pack_s8_weights refuses others). The source zero point is applied after the
// product through the packed weights' column sums; each finished tile goes to a QGemmSink.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace shrink::runtime::cpu {

constexpr int kQGemmPanel = 16;  // columns per packed panel (two 8 x int32 accumulators)
constexpr int kQGemmRows = 4;    // rows per micro-kernel tile
constexpr int kQGemmMaxWeight = 64;

// w [K, N] (w - w_zp, as int16) packed as [N/16 panels][K/4 groups][16 columns][4 k], zero padded
// in K and N, with the column sums of the packed values.
struct PackedS8Weights {
  int64_t k = 0, n = 0, groups = 0, panels = 0;
  Tensor data;                    // s8, panels * groups * 64 bytes (64-byte aligned storage)
  std::vector<int32_t> col_sums;  // panels * 16, zero past n
  int8_t* panel(int64_t p) { return data.data<int8_t>() + p * groups * 64; }
  const int8_t* panel(int64_t p) const { return data.data<int8_t>() + p * groups * 64; }
};
// Returns false (out untouched) when some |w| > kQGemmMaxWeight.
bool pack_s8_weights(const int16_t* w, int64_t k, int64_t n, PackedS8Weights& out);

// Receives finished tiles: acc[r * 16 + j] = sum_k (x[row0 + r, k] - x_zp) * w[k, col0 + j] for
// r < rows and col0 + j < n (columns past n hold garbage). Called from several threads at once
// on disjoint tiles.
class QGemmSink {
 public:
  virtual ~QGemmSink() = default;
  virtual void tile(int64_t row0, int rows, int64_t col0, const int32_t* acc) const = 0;
};

// x [M, K] (row stride lda) as u8, or as s8 when x_signed (shifted by 128 internally, with the zero
// point following), times the packed weights. Splits rows or, for few rows, column panels over the
// session's threads; deterministic (integer arithmetic).
void qgemm_u8s8(const uint8_t* x, int64_t m, int64_t lda, bool x_signed, int32_t x_zp, const PackedS8Weights& w,
                const QGemmSink& sink);

}  // namespace shrink::runtime::cpu
