// Shared inference for broadcasting binary ops.
#include "ops/binary/binary.h"

namespace shrink::ops {

bool infer_broadcast_binary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_same_dtype(node, in, 0, 1);
  out[0] = ValueMeta{in[0].dtype, broadcast_shapes(in[0].shape, in[1].shape)};
  return true;
}

bool infer_broadcast_compare(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_same_dtype(node, in, 0, 1);
  out[0] = ValueMeta{DType::kBool, broadcast_shapes(in[0].shape, in[1].shape)};
  return true;
}

}  // namespace shrink::ops
