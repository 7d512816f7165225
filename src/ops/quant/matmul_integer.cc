// MatMulInteger: numpy matmul of uint8/int8 operands minus their zero points (A's per row, B's per
// column allowed), accumulated in int32 (wrapping like hardware).
#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

bool infer_matmul_integer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_matmul_operand(node, in, 0, 2, "A");
  check_matmul_operand(node, in, 1, 3, "B");
  if (in.size() > 2 && in[2].present()) zero_point_shape(node, in[0].shape, in[2].shape, true, "a_zero_point");
  if (in.size() > 3 && in[3].present()) zero_point_shape(node, in[1].shape, in[3].shape, false, "b_zero_point");
  out[0] = ValueMeta{DType::kInt32, matmul_shape(in[0].shape, in[1].shape, node.label()).out};
  return true;
}

void compute_matmul_integer(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const MatMulShape s = matmul_shape(in[0].shape(), in[1].shape(), node.label());
  matmul_int32(operand_int32(node, in, 0, 2, true, "a_zero_point"),
               operand_int32(node, in, 1, 3, false, "b_zero_point"), s, out[0]);
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_zero_point_types(node, c, {{0, 2}, {1, 3}});
}

}  // namespace

extern const OpSchema kMatMulInteger{.op_type = "MatMulInteger", .min_inputs = 2, .max_inputs = 4,
                                     .since_opset = 10, .infer = infer_matmul_integer,
                                     .compute = compute_matmul_integer, .validate = validate};

}  // namespace shrink::ops
