// Shared helpers of the gradient ops: forward-attribute parsing, dtype checks, conv tap tables.
#include "ops/nn_grad/grad_util.h"

namespace shrink::ops::grad {

std::shared_ptr<const ir::OpAttrs> forward_attrs(const ir::Node& node, int64_t opset, std::string_view forward_op) {
  const OpSchema* s = find_op("", forward_op);
  SHRINK_ASSERT(s && s->parse, "forward op ", forward_op, " has no attribute parser");
  return s->parse(node, opset);
}

void require_grad_float(const ir::Node& node, const ValueMeta& v, int i) {
  SHRINK_CHECK(v.dtype == DType::kFloat32 || v.dtype == DType::kFloat64, node.label(), " input ", i,
               " must be float32 or float64, got ", dtype_name(v.dtype));
}

void require_shape(const ir::Node& node, const ValueMeta& v, int i, const Shape& shape, const char* what) {
  SHRINK_CHECK(v.shape == shape, node.label(), " input ", i, " (", what, ") has shape ", shape_str(v.shape),
               ", expected ", shape_str(shape));
}

std::vector<std::vector<int64_t>> conv_tap_table(const ConvGeometry& g) {
  std::vector<std::vector<int64_t>> t(g.kernel.size());
  for (size_t d = 0; d < g.kernel.size(); ++d) {
    const int64_t K = g.kernel[d], O = g.out_spatial[d];
    t[d].resize(size_t(K * O));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t o = 0; o < O; ++o) {
        const int64_t i = o * g.strides[d] + k * g.dilations[d] - g.pad_begin[d];
        t[d][size_t(k * O + o)] = i >= 0 && i < g.in_spatial[d] ? i : -1;
      }
  }
  return t;
}

}  // namespace shrink::ops::grad
