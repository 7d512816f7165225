// Typed attributes of MaxPool and AveragePool and the geometry they resolve to for an input shape
// (ceil_mode including the rule that drops a last window starting in the right padding, auto_pad,
// dilations). The reference kernels and oneDNN kernels both start from resolve_pool.
#pragma once
#include <vector>

#include "ops/nn/conv.h"

namespace shrink::ops {

enum class PoolKind { kMax, kAverage };

struct PoolAttrs : ir::OpAttrs {
  PoolKind kind = PoolKind::kMax;
  std::vector<int64_t> kernel_shape;  // required
  std::vector<int64_t> strides;       // empty: all 1
  std::vector<int64_t> pads;          // begin..., end...; empty: all 0
  std::vector<int64_t> dilations;     // empty: all 1
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
  bool count_include_pad = false;     // AveragePool only
  int64_t storage_order = 0;          // MaxPool only: 0 row-major, 1 column-major Indices
};

// Per spatial dim and output position: the input positions the window reads (in window order),
// and how many window taps fall inside the padded extent [-pad_begin, in + pad_end) (the
// count_include_pad divisor). Shared by the pooling kernels and their gradients.
struct PoolTaps {
  std::vector<int64_t> start, taps;  // taps[start[o] .. start[o+1]) are input positions
  std::vector<int64_t> padded_count;
};
PoolTaps pool_taps(const ConvGeometry& g, size_t d);

// Geometry with out_channels = in_channels = C and group = 1. Fails (bad input) naming the node.
ConvGeometry resolve_pool(const ir::Node& node, const PoolAttrs& a, const Shape& x);

}  // namespace shrink::ops
