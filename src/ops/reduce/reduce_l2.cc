// ReduceL2: sqrt of the sum of squares over the given axes (an input since opset 18); the empty
// norm is 0. Accumulates in double; integer results truncate toward zero (and saturate).
#include <cmath>

#include "ops/reduce/reduce.h"
#include "ops/unary/convert.h"

namespace shrink::ops {
namespace {

template <class C>
struct L2Policy {
  using Acc = double;
  static Acc init() { return 0; }
  static void add(Acc& a, C x) { a += double(x) * double(x); }
  static C finish(Acc a, int64_t) {
    if constexpr (std::is_floating_point_v<C>) return C(std::sqrt(a));
    else return saturate_cast<C>(std::sqrt(a));
  }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<L2Policy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceL2{.op_type = "ReduceL2", .min_inputs = 1, .max_inputs = 2, .parse = parse,
                                .infer = infer, .compute = compute};

}  // namespace shrink::ops
