// Integer arithmetic shared by the quant ops (ConvInteger, QLinearConv, MatMulInteger, QLinearMatMul)
// and the internal int8 ops' reference kernels: operand checks, operands minus their zero points,
// and exact int32 convolution / matmul (wrapping like hardware accumulators).
#pragma once
#include "ops/nn/conv.h"
#include "ops/nn/matmul.h"
#include "ops/quant/quant_util.h"

namespace shrink::ops {

// Fails unless v is uint8 or int8.
void check_int8(const ir::Node& node, const ValueMeta& v, const char* what);
// A per-output-channel parameter (w's zero point or scale): one element or [M].
void check_per_channel(const ir::Node& node, const Shape& s, int64_t m, const char* what);
// Conv geometry and operand checks; x_zp / w_zp are input indices (x's per tensor, w's per channel).
ConvGeometry check_conv_operands(const ir::Node& node, std::span<const ValueMeta> in, int x, int x_zp, int w, int w_zp);
// x and w as int32 minus their zero points (w's per output channel when it has M of them).
void prepare_conv_operands(std::span<const Tensor> in, int x, int x_zp, int w, int w_zp, Tensor& x32, Tensor& w32);
// acc (int32, zero-filled, g.output_shape()) = conv(x32, w32).
void conv_int32(const ConvGeometry& g, const Tensor& x32, const Tensor& w32, Tensor& acc);

// The shape a matmul zero point broadcasts with against its operand x (per row of A, per column of B).
Shape zero_point_shape(const ir::Node& node, const Shape& x, const Shape& zp, bool per_row, const char* what);
// Fails unless in[x] is uint8/int8 and in[zp] (when present) has its type.
void check_matmul_operand(const ir::Node& node, std::span<const ValueMeta> in, int x, int zp, const char* name);
// c (int32, zero-filled, shape s.out) = a x b with numpy batching; overflow wraps.
void matmul_int32(const Tensor& a, const Tensor& b, const MatMulShape& s, Tensor& c);
// in[x] as int32 minus its zero point in[zp] (absent: 0).
Tensor operand_int32(const ir::Node& node, std::span<const Tensor> in, int x, int zp, bool per_row, const char* what);

}  // namespace shrink::ops
