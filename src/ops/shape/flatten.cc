// Flatten: reshape to 2-D (dims before axis, dims from axis on). A view at run time
// (runtime/view_kernels.cc reads the shape from infer).
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<FlattenAttrs>();
  a->axis = r.get_int("axis", 1);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  const int64_t rank = int64_t(in[0].shape.size());
  int64_t axis = node.attrs_as<FlattenAttrs>().axis;
  SHRINK_CHECK(axis >= -rank && axis <= rank, node.label(), " axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  const Shape& s = in[0].shape;
  out[0] = {in[0].dtype, {prod(s, 0, size_t(axis)), prod(s, size_t(axis), s.size())}};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) { copy_bytes(in[0], out[0]); }

}  // namespace

extern const OpSchema kFlatten{.op_type = "Flatten", .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
