// Sub and Mul: numpy-broadcasting arithmetic on every numeric type (integers wrap on overflow).
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

void compute_sub(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_apply<T, T>(in[0], in[1], out[0], [](auto x, auto y) { return wrap_sub(x, y); });
  }, node.label());
}

void compute_mul(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_apply<T, T>(in[0], in[1], out[0], [](auto x, auto y) { return wrap_mul(x, y); });
  }, node.label());
}

}  // namespace

extern const OpSchema kSub{.op_type = "Sub", .min_inputs = 2, .max_inputs = 2,
                           .infer = infer_broadcast_binary, .compute = compute_sub};
extern const OpSchema kMul{.op_type = "Mul", .min_inputs = 2, .max_inputs = 2,
                           .infer = infer_broadcast_binary, .compute = compute_mul};

}  // namespace shrink::ops
