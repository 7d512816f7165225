// Identity: output = input (any storable type). A view at run time.
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  out[0] = {in[0].dtype, in[0].shape};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) { copy_bytes(in[0], out[0]); }

}  // namespace

extern const OpSchema kIdentity{.op_type = "Identity", .infer = infer, .compute = compute};

}  // namespace shrink::ops
