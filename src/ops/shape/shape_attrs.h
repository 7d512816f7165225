// Typed attributes of the shape family's ops, for passes that follow data movement (pruning
// across Reshape/Concat/Transpose, fusion) and for the runtime's view kernels. Fields that
// moved from attributes to inputs across opsets record where the value comes from.
#pragma once
#include <optional>
#include <vector>

#include "core/tensor.h"
#include "ir/attribute.h"

namespace shrink::ops {

struct FlattenAttrs : ir::OpAttrs {
  int64_t axis = 1;  // in [-rank, rank]
};

struct ReshapeAttrs : ir::OpAttrs {
  bool allowzero = false;  // a 0 in the shape is a real 0, not "copy the input dim"
};

struct TransposeAttrs : ir::OpAttrs {
  std::vector<int64_t> perm;  // empty: reverse the dims
};

// Squeeze and Unsqueeze: axes from the attribute (opset < 13) or from input 1.
struct AxesAttrs : ir::OpAttrs {
  std::optional<std::vector<int64_t>> axes;  // the attribute form; nullopt when absent
  bool axes_input = false;                   // opset >= 13: axes is input 1 (optional for Squeeze)
};

struct ConcatAttrs : ir::OpAttrs {
  int64_t axis = 0;
};

struct SplitAttrs : ir::OpAttrs {
  int64_t axis = 0;
  std::optional<std::vector<int64_t>> split;  // attribute form (opset < 13)
  bool split_input = false;                   // opset >= 13: sizes are input 1
  int64_t num_outputs = 0;                    // opset >= 18; 0 when absent
  bool uneven_ok = false;                     // opset >= 18: the last chunk may be smaller
};

struct GatherAttrs : ir::OpAttrs {
  int64_t axis = 0;
};

struct ShapeAttrs : ir::OpAttrs {
  int64_t start = 0;
  std::optional<int64_t> end;
};

// Constant (any value_* form, turned into a tensor) and ConstantOfShape (a one-element tensor).
struct ConstantAttrs : ir::OpAttrs {
  Tensor value;
};

struct DropoutAttrs : ir::OpAttrs {
  float ratio = 0.5f;           // attribute form (opset < 12); since 12 input 1 overrides
  bool ratio_input = false;     // opset >= 12: ratio and training_mode are inputs 1 and 2
  std::optional<int64_t> seed;  // the mask's seed in training mode
};

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadAttrs : ir::OpAttrs {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> pads;  // attribute form (opset < 11): begins then ends
  float value = 0.f;          // attribute form of the constant
  bool pads_input = false;    // opset >= 11: pads, constant_value, axes are inputs 1..3
};

}  // namespace shrink::ops
