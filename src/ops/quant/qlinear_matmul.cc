// QLinearMatMul: MatMulInteger's int32 product of a and b minus their zero points (a's per row, b's
// per column allowed), requantized: y = saturate(round_half_even(acc * a_s * b_s / y_s) + y_zp).
#include <type_traits>

#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

// QLinearMatMul inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
void check_scale_shape(const ir::Node& node, const Shape& scale, int64_t per_len, const char* what) {
  SHRINK_CHECK((scale.size() <= 1 && numel(scale) == 1) || (scale.size() == 1 && scale[0] == per_len), node.label(),
               " ", what, " must hold one element or ", per_len, ", got ", shape_str(scale));
}

bool infer_qlinear_matmul(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_matmul_operand(node, in, 0, 2, "a");
  check_matmul_operand(node, in, 3, 5, "b");
  if (!is_int8_type(in[7].dtype)) fail_input(node.label(), " y_zero_point must be uint8 or int8, got ",
                                             onnx_type_name(int(in[7].dtype)));
  const MatMulShape s = matmul_shape(in[0].shape, in[3].shape, node.label());
  for (int i : {1, 4, 6}) {
    require_scale_dtype(node, in[size_t(i)], "scale");
    SHRINK_CHECK(in[size_t(i)].dtype == in[1].dtype, node.label(), " scales must share one type");
  }
  check_scale_shape(node, in[1].shape, s.m, "a_scale");
  check_scale_shape(node, in[4].shape, s.n, "b_scale");
  require_single(node, in[6].shape, "y_scale");
  require_single(node, in[7].shape, "y_zero_point");
  zero_point_shape(node, in[0].shape, in[2].shape, true, "a_zero_point");
  zero_point_shape(node, in[3].shape, in[5].shape, false, "b_zero_point");
  check_scales(node, in[1], "a_scale");
  check_scales(node, in[4], "b_scale");
  check_scales(node, in[6], "y_scale");
  out[0] = ValueMeta{in[7].dtype, s.out};
  return true;
}

void compute_qlinear_matmul(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const MatMulShape s = matmul_shape(in[0].shape(), in[3].shape(), node.label());
  const std::vector<float> as = read_scales(node, in[1], "a_scale");
  const std::vector<float> bs = read_scales(node, in[4], "b_scale");
  const float ys = read_scales(node, in[6], "y_scale")[0];
  const DType precision = in[1].dtype();
  Tensor acc(DType::kInt32, s.out);
  matmul_int32(operand_int32(node, in, 0, 2, true, "a_zero_point"),
               operand_int32(node, in, 3, 5, false, "b_zero_point"), s, acc);
  // The multiplier is formed in the scales' type, as numpy does with the reference's float16 scales.
  std::vector<double> mult(size_t(s.m * s.n));
  for (int64_t m = 0; m < s.m; ++m)
    for (int64_t n = 0; n < s.n; ++n) {
      const float ab = round_to_precision(as[as.size() == 1 ? 0 : size_t(m)] * bs[bs.size() == 1 ? 0 : size_t(n)],
                                          precision);
      mult[size_t(m * s.n + n)] = double(round_to_precision(ab / ys, precision));
    }
  const double zp = double(in[7].as_int64(0));
  const QuantRange range = quant_range(in[7].dtype());
  const int32_t* pc = acc.data<int32_t>();
  const int64_t mn = s.m * s.n;
  visit_dtype(in[7].dtype(), [&](auto tag) {
    using Q = decltype(tag);
    if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t>) {
      Q* py = out[0].data<Q>();
      parallel_for(acc.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) py[i] = Q(round_saturate(double(pc[i]) * mult[size_t(i % mn)], zp, range));
      });
    }
  });
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{1, "a_scale"}, {4, "b_scale"}, {6, "y_scale"}});
  validate_zero_point_types(node, c, {{0, 2}, {3, 5}});
}

}  // namespace

extern const OpSchema kQLinearMatMul{.op_type = "QLinearMatMul", .min_inputs = 8, .max_inputs = 8,
                                     .since_opset = 10, .infer = infer_qlinear_matmul,
                                     .compute = compute_qlinear_matmul, .validate = validate};

}  // namespace shrink::ops
