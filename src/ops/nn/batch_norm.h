// Typed attributes of BatchNormalization, read by the reference kernel, the oneDNN kernel and the
// conv-bn folding pass (which applies only when training_mode is false).
#pragma once
#include "ops/op.h"

namespace shrink::ops {

struct BatchNormAttrs : ir::OpAttrs {
  float epsilon = 1e-5f;
  float momentum = 0.9f;
  // Normalize with the batch's own statistics and output updated running mean/var (opset 14+
  // attribute; before opset 14, implied by asking for more than one output).
  bool training_mode = false;
};

}  // namespace shrink::ops
