// LayerNormalization's typed attributes, read by the reference kernel (layer_norm.cc) and the
// oneDNN layer-norm kernel.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "ir/attribute.h"

namespace shrink::ops {

struct LayerNormAttrs : ir::OpAttrs {
  int64_t axis = -1;                      // first normalized dim, as written (may be negative)
  float epsilon = 1e-5f;
  DType stash_type = DType::kFloat32;     // dtype of the optional Mean / InvStdDev outputs
};

}  // namespace shrink::ops
