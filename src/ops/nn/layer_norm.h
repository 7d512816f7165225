// LayerNormalization's typed attributes, read by the reference kernel (layer_norm.cc) and the
// oneDNN layer-norm kernel.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "ir/attribute.h"
#include "ops/op.h"

namespace shrink::ops {

struct LayerNormAttrs : ir::OpAttrs {
  int64_t axis = -1;                      // first normalized dim, as written (may be negative)
  float epsilon = 1e-5f;
  DType stash_type = DType::kFloat32;     // dtype of the optional Mean / InvStdDev outputs
};

// The first normalized dim of x for the node's axis (negative counts from the end); fails naming
// the node when out of range.
int64_t layer_norm_axis(const ir::Node& node, const Shape& x);
// Fails unless input i (Scale or B) broadcasts to the normalized block x[axis:].
void check_layer_norm_param(const ir::Node& node, const Shape& x, int64_t axis, const ValueMeta& p, int i);
// Offsets into a Scale/B tensor of shape `p` for each element of the normalized block x[axis:].
std::vector<int64_t> layer_norm_param_offsets(const Shape& x, int64_t axis, const Shape& p);

}  // namespace shrink::ops
