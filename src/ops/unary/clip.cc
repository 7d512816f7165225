// Clip: y = min(max(x, lo), hi). Before opset 11 lo/hi are float attributes; from 11 on they are
// optional scalar inputs of x's type (integer types too from 12). When lo > hi every element
// becomes hi, as the spec says. NaN inputs stay NaN.
#include <limits>

#include "ops/attr_reader.h"
#include "ops/unary/activation.h"
#include "ops/unary/convert.h"
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<ClipAttrs>();
  if (opset < 11) {
    SHRINK_CHECK(node.inputs.size() <= 1 || (node.inputs.size() <= 3 && !node.has_input(1) && !node.has_input(2)),
                 node.label(), " takes min/max as attributes before opset 11, not as inputs");
    if (r.has("min")) a->min = r.get_float("min", 0.f);
    if (r.has("max")) a->max = r.get_float("max", 0.f);
  }
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " input must be numeric, got bool");
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i].present()) continue;
    require_same_dtype(node, in, 0, int(i));
    SHRINK_CHECK(numel(in[i].shape) == 1 && in[i].shape.size() <= 1, node.label(), " input ", i,
                 " (", i == 1 ? "min" : "max", ") must be a scalar, got shape ", shape_str(in[i].shape));
  }
  return infer_same_as_input0(node, in, out);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<ClipAttrs>();
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
    if constexpr (std::is_floating_point_v<C>) {
      lo = -std::numeric_limits<C>::infinity();
      hi = std::numeric_limits<C>::infinity();
    }
    if (a.min) lo = convert_value<C>(*a.min);  // saturates for integer x
    if (a.max) hi = convert_value<C>(*a.max);
    if (in.size() > 1 && in[1].defined()) lo = C(static_cast<const T*>(in[1].raw())[0]);
    if (in.size() > 2 && in[2].defined()) hi = C(static_cast<const T*>(in[2].raw())[0]);
    map_typed<T>(in[0], out[0], [lo, hi](C v) {
      const C clamped_low = v < lo ? lo : v;
      return hi < clamped_low ? hi : clamped_low;
    });
  }, node.label());
}

}  // namespace

extern const OpSchema kClip{.op_type = "Clip", .max_inputs = 3, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
