// ReduceLogSumExp: log(sum(exp(x))) over the given axes (an input since opset 18); the empty
// result is -inf. Evaluated in one streaming pass as max + log(sum(exp(x - max))), rescaling the
// running sum when the max grows, so large inputs do not overflow exp. Integer results saturate.
#include <cmath>
#include <limits>

#include "ops/reduce/reduce.h"
#include "ops/unary/convert.h"

namespace shrink::ops {
namespace {

struct LseAcc {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;  // of exp(x - max)
};

template <class C>
struct LogSumExpPolicy {
  using Acc = LseAcc;
  static Acc init() { return {}; }
  static void add(Acc& a, C c) {
    const double x = double(c);
    if (std::isnan(x)) {
      a.sum = x;
    } else if (x > a.max) {
      a.sum = a.sum * std::exp(a.max - x) + 1.0;
      a.max = x;
    } else if (x == a.max) {
      // Also covers repeated infinities, where x - max would be NaN.
      if (!std::isinf(x) || x > 0) a.sum += 1.0;
    } else {
      a.sum += std::exp(x - a.max);
    }
  }
  static C finish(Acc a, int64_t) {
    const double r = std::isinf(a.max) ? (std::isnan(a.sum) ? a.sum : a.max) : a.max + std::log(a.sum);
    if constexpr (std::is_floating_point_v<C>) return C(r);
    else return saturate_cast<C>(r);
  }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<LogSumExpPolicy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceLogSumExp{.op_type = "ReduceLogSumExp", .min_inputs = 1, .max_inputs = 2,
                                       .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
