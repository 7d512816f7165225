// Shared inference for float unary ops.
#include "ops/unary/unary.h"

namespace shrink::ops {

bool infer_float_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  return infer_same_as_input0(node, in, out);
}

}  // namespace shrink::ops
