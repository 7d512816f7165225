// GreaterOrEqual: broadcasting a >= b with bool output (opset 12+). Numeric types; NaN compares false.
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " does not compare bool tensors");
  return infer_broadcast_compare(node, in, out);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_apply<T, bool>(in[0], in[1], out[0], [](auto x, auto y) { return x >= y; });
  }, node.label());
}

}  // namespace

extern const OpSchema kGreaterOrEqual{.op_type = "GreaterOrEqual", .min_inputs = 2, .max_inputs = 2, .since_opset = 12,
                                      .infer = infer, .compute = compute};

}  // namespace shrink::ops
