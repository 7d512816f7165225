// Equal, Less, Greater: broadcasting comparisons with bool output. Equal also accepts bool inputs
// (opset 11+); Less and Greater take numeric types. NaN compares false, as in numpy.
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

bool infer_numeric_compare(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " does not compare bool tensors");
  return infer_broadcast_compare(node, in, out);
}

template <class Cmp>
void compare(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out, Cmp cmp) {
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_apply<T, bool>(in[0], in[1], out[0], cmp);
  }, node.label());
}

void compute_equal(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compare(node, in, out, [](auto x, auto y) { return x == y; });
}
void compute_less(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compare(node, in, out, [](auto x, auto y) { return x < y; });
}
void compute_greater(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  compare(node, in, out, [](auto x, auto y) { return x > y; });
}

}  // namespace

extern const OpSchema kEqual{.op_type = "Equal", .min_inputs = 2, .max_inputs = 2,
                             .infer = infer_broadcast_compare, .compute = compute_equal};
extern const OpSchema kLess{.op_type = "Less", .min_inputs = 2, .max_inputs = 2,
                            .infer = infer_numeric_compare, .compute = compute_less};
extern const OpSchema kGreater{.op_type = "Greater", .min_inputs = 2, .max_inputs = 2,
                               .infer = infer_numeric_compare, .compute = compute_greater};

}  // namespace shrink::ops
