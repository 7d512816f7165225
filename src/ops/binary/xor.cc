// Xor: logical exclusive or of two bool tensors, with numpy broadcasting.
#include "ops/binary/logical.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_logical(in, out, [](bool x, bool y) { return x != y; });
}

}  // namespace

extern const OpSchema kXor{.op_type = "Xor", .min_inputs = 2, .max_inputs = 2,
                           .infer = infer_logical, .compute = compute};

}  // namespace shrink::ops
