// Add: c = a + b with numpy broadcasting; every numeric type (integers wrap on overflow).
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_apply<T, T>(in[0], in[1], out[0], [](auto x, auto y) { return wrap_add(x, y); });
  }, node.label());
}

}  // namespace

extern const OpSchema kAdd{.op_type = "Add", .min_inputs = 2, .max_inputs = 2,
                           .infer = infer_broadcast_binary, .compute = compute};

}  // namespace shrink::ops
