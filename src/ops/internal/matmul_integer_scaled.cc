// com.shrink MatMulIntegerScaled(a, b, scale[, a_zero_point, b_zero_point]) -> float32: the
// dynamic-quantization chain MatMulInteger(a, b, a_zp, b_zp) -> Cast(float) -> Mul(scale) of two
// run-time operands (attention's Q K^T and A V after DynamicQuantizeLinear), made by
// passes/fuse_matmul_integer.cc; scale is one float32 (the product of the two operands' scales).
// The reference kernel is the chain itself: MatMulInteger's exact int32 product, each element
// converted to float32 and multiplied by scale in float32. Never exported.
#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

constexpr int kA = 0, kB = 1, kScale = 2, kAZp = 3, kBZp = 4;

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_matmul_operand(node, in, kA, kAZp, "a");
  check_matmul_operand(node, in, kB, kBZp, "b");
  if (in.size() > kAZp && in[kAZp].present()) zero_point_shape(node, in[kA].shape, in[kAZp].shape, true, "a_zero_point");
  if (in.size() > kBZp && in[kBZp].present()) zero_point_shape(node, in[kB].shape, in[kBZp].shape, false, "b_zero_point");
  SHRINK_CHECK(in[kScale].dtype == DType::kFloat32, node.label(), " scale must be float32, got ",
               dtype_name(in[kScale].dtype));
  require_single(node, in[kScale].shape, "scale");
  // As the chain's Mul: a one-element scale of rank 1 makes a 1-D x 1-D product's scalar [1].
  out[0] = ValueMeta{DType::kFloat32,
                     broadcast_shapes(matmul_shape(in[kA].shape, in[kB].shape, node.label()).out, in[kScale].shape)};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const MatMulShape s = matmul_shape(in[kA].shape(), in[kB].shape(), node.label());
  Tensor acc(DType::kInt32, s.out);  // as many elements as out (only its rank may differ)
  matmul_int32(operand_int32(node, in, kA, kAZp, true, "a_zero_point"),
               operand_int32(node, in, kB, kBZp, false, "b_zero_point"), s, acc);
  // Not read_scales: the chain's Mul takes any float, so this does too.
  const float scale = in[kScale].data<float>()[0];
  const int32_t* a = acc.data<int32_t>();
  float* y = out[0].data<float>();
  for (int64_t i = 0; i < acc.numel(); ++i) y[i] = float(a[i]) * scale;
}

}  // namespace

extern const OpSchema kMatMulIntegerScaled{.op_type = "MatMulIntegerScaled", .domain = "com.shrink",
                                           .min_inputs = 3, .max_inputs = 5, .infer = infer, .compute = compute};

}  // namespace shrink::ops
