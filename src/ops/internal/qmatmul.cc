// com.shrink QMatMul (see quantized.h): x [..., K] times a constant-shaped w [K, N] over
// uint8/int8 with zero points (x per tensor, w per tensor or per column); the reference kernel is
// MatMulInteger's exact int32 product followed by the shared float epilogue.
#include "ops/internal/quantized.h"
#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<QMatMulAttrs>();
  a->act = parse_q_activation(node, r);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_matmul_operand(node, in, kQX, kQXZp, "x");
  check_matmul_operand(node, in, kQW, kQWZp, "w");
  SHRINK_CHECK(in[kQW].shape.size() == 2, node.label(), " w must be 2-D, got ", shape_str(in[kQW].shape));
  SHRINK_CHECK(!in[kQX].shape.empty(), node.label(), " x must have rank >= 1");
  if (size_t(kQXZp) < in.size() && in[kQXZp].present()) require_single(node, in[kQXZp].shape, "x_zero_point");
  if (size_t(kQWZp) < in.size() && in[kQWZp].present())
    check_per_channel(node, in[kQWZp].shape, in[kQW].shape[1], "w_zero_point");
  const MatMulShape s = matmul_shape(in[kQX].shape, in[kQW].shape, node.label());
  out[0] = check_q_params(node, in, s.n, s.out);
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const MatMulShape s = matmul_shape(in[kQX].shape(), in[kQW].shape(), node.label());
  Tensor acc(DType::kInt32, s.out);
  matmul_int32(operand_int32(node, in, kQX, kQXZp, true, "x_zero_point"),
               operand_int32(node, in, kQW, kQWZp, false, "w_zero_point"), s, acc);
  finish_quantized(node, in, node.attrs_as<QMatMulAttrs>().act, acc, s.n, 1, out[0]);
}

}  // namespace

extern const OpSchema kQMatMul{.op_type = "QMatMul", .domain = "com.shrink", .min_inputs = 5,
                               .max_inputs = kQInputs, .parse = parse, .infer = infer, .compute = compute,
                               .validate = validate_quantized};

}  // namespace shrink::ops
