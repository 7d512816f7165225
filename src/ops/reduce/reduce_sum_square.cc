// ReduceSumSquare: sum of squares over the given axes (an input since opset 18); the empty sum is
// 0. Floats accumulate in double, integers in 64-bit two's complement (wrapping like the type).
#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

template <class C>
struct SumSquarePolicy {
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, uint64_t>;
  static Acc init() { return 0; }
  static void add(Acc& a, C x) {
    if constexpr (std::is_floating_point_v<C>) a += double(x) * double(x);
    else a += uint64_t(int64_t(x)) * uint64_t(int64_t(x));
  }
  static C finish(Acc a, int64_t) { return C(a); }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<SumSquarePolicy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceSumSquare{.op_type = "ReduceSumSquare", .min_inputs = 1, .max_inputs = 2,
                                       .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
