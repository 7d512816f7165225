// The runtime's channels-last int8 activations (passes/channels_last.cc): a logical NCHW tensor held
// as the plain 4-D tensor [N, H, W, C] (NHWC, oneDNN's acdb, what its int8 kernels want), so that
// consecutive QConv / MaxPool / QAdd nodes exchange data with no reorder. Borders are ONNX
// Transpose nodes (perm 0,2,3,1 in, 0,3,1,2 out). Never exported.
//   com.shrink NhwcQConv(x [N,H,W,C], QConv's other inputs) {QConv attrs}   -> [N,H',W',M]
//   com.shrink NhwcMaxPool(x [N,H,W,C]) {MaxPool attrs}                     -> [N,H',W',C]
// Elementwise ops (QAdd, per-tensor Quantize/DequantizeLinear, unary, binary with both operands
// channels-last) need no variant: they run unchanged on the permuted tensors.
#pragma once
#include "ops/op.h"

namespace shrink::ops {

// Attributes of the Nhwc* wrappers: the wrapped plain op (a bound node with the same inputs).
struct ChannelsLastAttrs : ir::OpAttrs {
  ir::Node inner;
};

// [N,C,H,W] <-> [N,H,W,C]; fail unless rank 4.
Shape nhwc_shape(const Shape& nchw, const ir::Node& node);
Shape nchw_shape(const Shape& nhwc, const ir::Node& node);
// Data movement between the layouts (any dtype).
Tensor to_nhwc(const Tensor& nchw, const ir::Node& node);
Tensor from_nhwc(const Tensor& nhwc, const ir::Node& node);

}  // namespace shrink::ops
