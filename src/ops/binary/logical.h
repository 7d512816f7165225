// And, Or, Xor share this: bool-only broadcasting inference and kernel.
#pragma once
#include "ops/binary/binary.h"

namespace shrink::ops {

inline bool infer_logical(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  for (int i = 0; i < 2; ++i)
    SHRINK_CHECK(in[size_t(i)].dtype == DType::kBool, node.label(), " input ", i, " must be bool, got ",
                 dtype_name(in[size_t(i)].dtype));
  return infer_broadcast_compare(node, in, out);
}

template <class F>
void compute_logical(std::span<const Tensor> in, std::span<Tensor> out, F f) {
  broadcast_apply<bool, bool>(in[0], in[1], out[0], f);
}

}  // namespace shrink::ops
