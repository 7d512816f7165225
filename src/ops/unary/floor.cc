// Floor: y = largest integral value <= x. Float types; NaN and infinities pass through.
#include <cmath>

#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float(in[0], out[0], [](auto v) { return std::floor(v); });
}

}  // namespace

extern const OpSchema kFloor{.op_type = "Floor", .infer = infer_float_unary, .compute = compute};

}  // namespace shrink::ops
