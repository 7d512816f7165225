// Shared inference for unary ops.
#include "ops/unary/unary.h"

namespace shrink::ops {

bool infer_float_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  return infer_same_as_input0(node, in, out);
}

bool infer_numeric_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype != DType::kBool && in[0].dtype != DType::kUndefined, node.label(),
               " input 0 must be numeric, got ", dtype_name(in[0].dtype));
  return infer_same_as_input0(node, in, out);
}

}  // namespace shrink::ops
