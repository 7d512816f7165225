// Sign: -1, 0 or 1 by the sign of x, in x's type. Every numeric type; NaN stays NaN (as numpy).
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    map_typed<T>(in[0], out[0], [](auto v) {
      using C = decltype(v);
      if constexpr (std::is_floating_point_v<C>) {
        if (v != v) return v;
      }
      return v > C(0) ? C(1) : (v < C(0) ? C(-1) : C(0));
    });
  }, node.label());
}

}  // namespace

extern const OpSchema kSign{.op_type = "Sign", .infer = infer_numeric_unary, .compute = compute};

}  // namespace shrink::ops
