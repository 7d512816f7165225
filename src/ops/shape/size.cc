// Size: the input's element count as an int64 scalar (shape ()). The data is never read.
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  out[0] = {DType::kInt64, {}};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  *out[0].data<int64_t>() = in[0].numel();
}

}  // namespace

extern const OpSchema kSize{.op_type = "Size", .infer = infer, .compute = compute};

}  // namespace shrink::ops
