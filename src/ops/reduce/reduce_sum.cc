// ReduceSum: sum over the given axes (an input since opset 13); the empty sum is 0. Floats
// accumulate in double, integers in 64-bit two's complement (wrapping like the stored type).
#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

template <class C>
struct SumPolicy {
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, uint64_t>;
  static Acc init() { return 0; }
  static void add(Acc& a, C x) { a += Acc(x); }
  static C finish(Acc a, int64_t) { return C(a); }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 13); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<SumPolicy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceSum{.op_type = "ReduceSum", .min_inputs = 1, .max_inputs = 2, .parse = parse,
                                 .infer = infer, .compute = compute};

}  // namespace shrink::ops
