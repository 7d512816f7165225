// ReduceMean: mean over the given axes (an input since opset 18). Sums in double (64-bit
// integers for integer types); integer means truncate toward zero; the empty mean is NaN (0/0).
#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

template <class C>
struct MeanPolicy {
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, int64_t>;
  static Acc init() { return 0; }
  static void add(Acc& a, C x) {
    if constexpr (std::is_floating_point_v<C>) a += double(x);
    else a = Acc(uint64_t(a) + uint64_t(int64_t(x)));
  }
  static C finish(Acc a, int64_t n) {
    if constexpr (std::is_floating_point_v<C>) return C(a / double(n));
    else return n ? C(a / n) : C(0);
  }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<MeanPolicy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceMean{.op_type = "ReduceMean", .min_inputs = 1, .max_inputs = 2, .parse = parse,
                                  .infer = infer, .compute = compute};

}  // namespace shrink::ops
