// Typed attributes of the parameterized elementwise activations, for layers that lower or fuse
// them (oneDNN eltwise post-ops, Conv+Clip -> ReLU6 fusion): LeakyRelu, HardSigmoid, Gelu, Clip.
#pragma once
#include <optional>

#include "ir/attribute.h"

namespace shrink::ops {

struct LeakyReluAttrs : ir::OpAttrs {
  float alpha = 0.01f;
};

struct HardSigmoidAttrs : ir::OpAttrs {
  float alpha = 0.2f;
  float beta = 0.5f;
};

struct GeluAttrs : ir::OpAttrs {
  bool tanh_approximation = false;  // approximate="tanh"
};

// Before opset 11 the bounds are attributes; from 11 on they are optional inputs 1 and 2, and
// these fields stay empty (an absent input means unbounded on that side).
struct ClipAttrs : ir::OpAttrs {
  std::optional<float> min;
  std::optional<float> max;
};

// Cast: the target type; `saturate` (opset 19+) and `round_mode` only affect float8 targets, which
// shrink refuses, so they are validated and not kept.
struct CastAttrs : ir::OpAttrs {
  DType to = DType::kUndefined;
};

}  // namespace shrink::ops
