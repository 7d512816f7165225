// Expand: broadcast input 0 to the numpy broadcast of its shape and input 1 (either may
// stretch a 1). The kernel is a strided copy with stride 0 on broadcast dims.
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  SHRINK_CHECK(in[1].dtype == DType::kInt64 && in[1].shape.size() == 1, node.label(),
               " shape must be a 1-D int64 tensor");
  if (!in[1].value) return false;
  Shape target = read_int_list(node, *in[1].value, "shape");
  for (int64_t d : target) SHRINK_CHECK(d >= 0, node.label(), " shape ", shape_str(target), " has a negative dim");
  const Shape& s = in[0].shape;
  const size_t r = std::max(s.size(), target.size());
  Shape o(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t a = i < r - s.size() ? 1 : s[i - (r - s.size())];
    const int64_t b = i < r - target.size() ? 1 : target[i - (r - target.size())];
    SHRINK_CHECK(a == b || a == 1 || b == 1, node.label(), " cannot expand ", shape_str(s), " to ", shape_str(target));
    o[i] = a == 1 ? b : a;
  }
  node_numel(node, o, "output shape");
  out[0] = {in[0].dtype, o};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  BroadcastStrides bs(out[0].shape(), in[0].shape());
  strided_copy(in[0], out[0], 0, bs.strides);
}

}  // namespace

extern const OpSchema kExpand{.op_type = "Expand", .min_inputs = 2, .max_inputs = 2, .since_opset = 8,
                              .infer = infer, .compute = compute};

}  // namespace shrink::ops
