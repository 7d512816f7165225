// ReduceProd: product over the given axes (an input since opset 18); the empty product is 1.
// Floats accumulate in double, integers in 64-bit two's complement (wrapping like the stored type).
#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

template <class C>
struct ProdPolicy {
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, uint64_t>;
  static Acc init() { return 1; }
  static void add(Acc& a, C x) {
    if constexpr (std::is_floating_point_v<C>) a *= double(x);
    else a *= uint64_t(int64_t(x));
  }
  static C finish(Acc a, int64_t) { return C(a); }
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) { return parse_reduce(node, opset, 18); }
bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  return infer_reduce(node, in, out, false);
}
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compute_reduce<ProdPolicy>(node, in, out, false);
}

}  // namespace

extern const OpSchema kReduceProd{.op_type = "ReduceProd", .min_inputs = 1, .max_inputs = 2, .parse = parse,
                                  .infer = infer, .compute = compute};

}  // namespace shrink::ops
