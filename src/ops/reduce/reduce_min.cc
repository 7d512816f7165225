// ReduceMin: minimum over the given axes (an input since opset 18; bool since 20). NaN
// propagates; the empty minimum is +inf for floats, the largest value for integers, true for bool.
#include <cmath>
#include <limits>

#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

template <class C>
struct MinPolicy {
  using Acc = C;
  static Acc init() {
    if constexpr (std::is_floating_point_v<C>) return std::numeric_limits<C>::infinity();
    else return std::numeric_limits<C>::max();
  }
  static void add(Acc& a, C x) {
    if constexpr (std::is_floating_point_v<C>) {
      if (x < a || std::isnan(x)) a = std::isnan(a) ? a : x;
    } else if (x < a) {
      a = x;
    }
  }
  static C finish(Acc a, int64_t) { return a; }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, true);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<MinPolicy>(node, in, out, true);
}

}  // namespace

extern const OpSchema kReduceMin{.op_type = "ReduceMin", .min_inputs = 1, .max_inputs = 2, .parse = parse,
                                 .infer = infer, .compute = compute};

}  // namespace shrink::ops
