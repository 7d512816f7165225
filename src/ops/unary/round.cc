// Round: nearest integral value, halves to even (numpy.round, ONNX Round). Float types.
#include <cmath>

#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  // nearbyint honours the current rounding mode, which is round-to-nearest-even by default;
  // std::round would send halves away from zero.
  map_float(in[0], out[0], [](auto v) { return std::nearbyint(v); });
}

}  // namespace

extern const OpSchema kRound{.op_type = "Round", .infer = infer_float_unary, .compute = compute};

}  // namespace shrink::ops
