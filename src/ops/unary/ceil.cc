// Ceil: y = smallest integral value >= x. Float types; NaN and infinities pass through.
#include <cmath>

#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float(in[0], out[0], [](auto v) { return std::ceil(v); });
}

}  // namespace

extern const OpSchema kCeil{.op_type = "Ceil", .infer = infer_float_unary, .compute = compute};

}  // namespace shrink::ops
