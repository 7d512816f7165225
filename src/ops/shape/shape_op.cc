// Shape: the input's dims as a 1-D int64 tensor, optionally only dims [start, end) (opset 15+;
// negative values count from the end, then both are clamped to [0, rank]).
#include <algorithm>

#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<ShapeAttrs>();
  if (opset >= 15) {
    a->start = r.get_int("start", 0);
    if (r.has("end")) a->end = r.get_int("end", 0);
  }
  r.done();
  return a;
}

std::pair<int64_t, int64_t> range_of(const ir::Node& node, int64_t rank) {
  const auto& a = node.attrs_as<ShapeAttrs>();
  auto fix = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t b = fix(a.start), e = fix(a.end.value_or(rank));
  return {b, std::max(b, e)};
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  auto [b, e] = range_of(node, int64_t(in[0].shape.size()));
  out[0] = {DType::kInt64, {e - b}};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  auto [b, e] = range_of(node, in[0].rank());
  int64_t* o = out[0].data<int64_t>();
  for (int64_t i = b; i < e; ++i) o[i - b] = in[0].dim(i);
}

}  // namespace

extern const OpSchema kShape{.op_type = "Shape", .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
