// Not: logical negation of a bool tensor.
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype == DType::kBool, node.label(), " input must be bool, got ", dtype_name(in[0].dtype));
  return infer_same_as_input0(node, in, out);
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_typed<bool>(in[0], out[0], [](bool v) { return !v; });
}

}  // namespace

extern const OpSchema kNot{.op_type = "Not", .infer = infer, .compute = compute};

}  // namespace shrink::ops
