// The runtime's channel-blocked activation layout (oneDNN's nChw8c / nChw16c): a logical NCHW tensor
// with C a multiple of the block b is stored as the plain 5-D tensor [N, C/b, H, W, b], so that
// consecutive convolutions and pools exchange data in the layout their fast kernels want and no
// reorder runs between them (passes/block_layout.cc places these ops). Never exported.
//   com.shrink ToBlocked(x[N,C,H,W]) {block}            -> [N,C/b,H,W,b]
//   com.shrink FromBlocked(x[N,C/b,H,W,b])              -> [N,C,H,W]
//   com.shrink BlockedFusedConv(x, w, b?, residual?) {FusedConv attrs, block}: x plain [N,C,H,W] or
//     blocked (rank 5); residual and output blocked.
//   com.shrink BlockedMaxPool / BlockedAveragePool(x blocked) {the pool's attrs, block}: blocked out.
// Elementwise ops need no blocked variant: they run unchanged on the 5-D tensors.
#pragma once
#include "ops/op.h"

namespace shrink::ops {

// Attributes of the Blocked* wrappers: the wrapped plain op (a bound node with the same inputs'
// meaning and the attributes minus "block") and the block size.
struct BlockedAttrs : ir::OpAttrs {
  ir::Node inner;
  int64_t block = 8;
};

// [N,C,H,W] -> [N,C/b,H,W,b]; fails unless rank 4 and C % b == 0.
Shape blocked_shape(const Shape& plain, int64_t block, const ir::Node& node);
// [N,C/b,H,W,b] -> [N,C,H,W]; fails unless rank 5.
Shape plain_shape(const Shape& blocked, const ir::Node& node);
// Data movement between the layouts (any dtype).
Tensor to_blocked(const Tensor& plain, int64_t block, const ir::Node& node);
Tensor from_blocked(const Tensor& blocked, const ir::Node& node);

}  // namespace shrink::ops
