// MatMul (numpy semantics) shape rules and the cache-blocked matrix product kernel shared by the
// reference MatMul, Gemm and Einsum kernels. The oneDNN matmul reads MatMulShape to map batches.
#pragma once
#include <cstdint>

#include "ops/common.h"

namespace shrink::ops {

// The numpy matmul of shapes a and b: 1-D operands are promoted (a: [K] -> [1,K], b: [K] -> [K,1])
// and the promoted dims dropped from `out`; batch dims broadcast.
struct MatMulShape {
  int64_t m = 0, k = 0, n = 0;
  Shape batch;                // broadcast batch dims (without m, n)
  Shape a_batch, b_batch;     // each operand's batch dims, left-padded with 1 to batch.size()
  Shape out;                  // the result shape
  int64_t batch_count() const { return numel(batch); }
};
// Fails (bad input, prefixed by `label`) when the inner dims differ or batches do not broadcast.
MatMulShape matmul_shape(const Shape& a, const Shape& b, const std::string& label);

// One strided matrix: element (i, j) at data[i * row_stride + j * col_stride].
template <class T>
struct MatView {
  const T* data;
  int64_t row_stride, col_stride;
};

// C[m x n] (row stride ldc, contiguous rows) += A[m x k] * B[k x n], accumulating in T and
// blocking for cache. Serial: callers split rows or columns over threads with matmul_tasks.
template <class T>
void matmul_block(int64_t m, int64_t n, int64_t k, MatView<T> a, MatView<T> b, T* c, int64_t ldc);

// Runs `batches` independent products of this size over the thread pool, splitting each
// product's rows (or columns, for few rows) so that both cores get work:
// fn(batch, row0, row1, col0, col1).
void matmul_tasks(int64_t batches, int64_t m, int64_t n, int64_t k,
                  const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t)>& fn);

extern template void matmul_block<float>(int64_t, int64_t, int64_t, MatView<float>, MatView<float>, float*, int64_t);
extern template void matmul_block<double>(int64_t, int64_t, int64_t, MatView<double>, MatView<double>, double*, int64_t);
extern template void matmul_block<uint32_t>(int64_t, int64_t, int64_t, MatView<uint32_t>, MatView<uint32_t>, uint32_t*, int64_t);
extern template void matmul_block<uint64_t>(int64_t, int64_t, int64_t, MatView<uint64_t>, MatView<uint64_t>, uint64_t*, int64_t);

}  // namespace shrink::ops
