// Relu: y = max(x, 0). Float types (and, since opset 14, signed integers; float-only here).
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float(in[0], out[0], [](auto v) { return v > 0 ? v : decltype(v)(0); });
}

}  // namespace

extern const OpSchema kRelu{.op_type = "Relu", .infer = infer_float_unary, .compute = compute};

}  // namespace shrink::ops
