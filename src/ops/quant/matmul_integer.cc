// MatMulInteger and QLinearMatMul: numpy matmul of uint8/int8 operands minus their zero points,
// accumulated in int32 (wrapping like hardware). A's zero point and scale may be per row, B's per
// column. QLinearMatMul requantizes: y = saturate(round_half_even(acc * a_s * b_s / y_s) + y_zp).
#include <type_traits>

#include "ops/nn/matmul.h"
#include "ops/quant/quant_util.h"

namespace shrink::ops {
namespace {

// The shape a zero point broadcasts with against its operand x: one element (per tensor), a 1-D
// [M] for A (per row, as [M, 1]) or [N] for B (per column), or an N-D shape broadcasting into x.
Shape zero_point_shape(const ir::Node& node, const Shape& x, const Shape& zp, bool per_row, const char* what) {
  if (zp.size() <= 1 && numel(zp) == 1) return {};
  if (zp.size() == 1 && x.size() >= 2) {
    const int64_t want = per_row ? x[x.size() - 2] : x[x.size() - 1];
    SHRINK_CHECK(zp[0] == want, node.label(), " ", what, " of shape ", shape_str(zp), " must have ", want,
                 " elements (one per ", per_row ? "row" : "column", " of ", shape_str(x), ")");
    return per_row ? Shape{want, 1} : Shape{want};
  }
  SHRINK_CHECK(zp.size() >= 2 && zp.size() <= x.size(), node.label(), " ", what, " of shape ", shape_str(zp),
               " does not fit input ", shape_str(x));
  for (size_t i = 0; i < zp.size(); ++i) {
    const int64_t d = zp[zp.size() - 1 - i], xd = x[x.size() - 1 - i];
    SHRINK_CHECK(d == xd || d == 1, node.label(), " ", what, " of shape ", shape_str(zp), " does not broadcast to ",
                 shape_str(x));
  }
  SHRINK_CHECK(zp[zp.size() - (per_row ? 1 : 2)] == 1, node.label(), " ", what, " of shape ", shape_str(zp),
               " must be per ", per_row ? "row" : "column");
  return zp;
}

void check_operand(const ir::Node& node, std::span<const ValueMeta> in, int x, int zp, const char* name) {
  if (!is_int8_type(in[x].dtype)) fail_input(node.label(), " ", name, " must be uint8 or int8, got ",
                                             onnx_type_name(int(in[x].dtype)));
  if (zp < int(in.size()) && in[zp].present())
    SHRINK_CHECK(in[zp].dtype == in[x].dtype, node.label(), " ", name, "'s zero point type ",
                 onnx_type_name(int(in[zp].dtype)), " differs from ", dtype_name(in[x].dtype));
}

// c (int32, zero-filled, shape s.out) = A32 x B32 with numpy batching, in uint32 so that overflow wraps.
void matmul_int32(const Tensor& a, const Tensor& b, const MatMulShape& s, Tensor& c) {
  const int64_t nb = s.batch_count();
  std::vector<int64_t> a_off(static_cast<size_t>(nb)), b_off(static_cast<size_t>(nb));
  const auto a_str = strides_of(s.a_batch), b_str = strides_of(s.b_batch);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = s.batch.size(); d-- > 0;) {
      const int64_t idx = rem % s.batch[d];
      rem /= s.batch[d];
      if (s.a_batch[d] != 1) oa += idx * a_str[d];
      if (s.b_batch[d] != 1) ob += idx * b_str[d];
    }
    a_off[size_t(i)] = oa * s.m * s.k;
    b_off[size_t(i)] = ob * s.k * s.n;
  }
  const auto* pa = reinterpret_cast<const uint32_t*>(a.data<int32_t>());
  const auto* pb = reinterpret_cast<const uint32_t*>(b.data<int32_t>());
  auto* pc = reinterpret_cast<uint32_t*>(c.data<int32_t>());
  matmul_tasks(nb, s.m, s.n, s.k, [&](int64_t bi, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    matmul_block<uint32_t>(r1 - r0, c1 - c0, s.k, {pa + a_off[size_t(bi)] + r0 * s.k, s.k, 1},
                           {pb + b_off[size_t(bi)] + c0, s.n, 1}, pc + bi * s.m * s.n + r0 * s.n + c0, s.n);
  });
}

Tensor operand_int32(const ir::Node& node, std::span<const Tensor> in, int x, int zp, bool per_row, const char* what) {
  if (zp >= int(in.size()) || !in[zp].defined()) return subtract_zero_point(in[x], Tensor(), {});
  const Shape zs = zero_point_shape(node, in[x].shape(), in[zp].shape(), per_row, what);
  return subtract_zero_point(in[x], in[zp], zs);
}

bool infer_matmul_integer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_operand(node, in, 0, 2, "A");
  check_operand(node, in, 1, 3, "B");
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

// QLinearMatMul inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
void check_scale_shape(const ir::Node& node, const Shape& scale, int64_t per_len, const char* what) {
  SHRINK_CHECK((scale.size() <= 1 && numel(scale) == 1) || (scale.size() == 1 && scale[0] == per_len), node.label(),
               " ", what, " must hold one element or ", per_len, ", got ", shape_str(scale));
}

bool infer_qlinear_matmul(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_operand(node, in, 0, 2, "a");
  check_operand(node, in, 3, 5, "b");
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

}  // namespace

extern const OpSchema kMatMulInteger{.op_type = "MatMulInteger", .min_inputs = 2, .max_inputs = 4,
                                     .since_opset = 10, .infer = infer_matmul_integer,
                                     .compute = compute_matmul_integer};
extern const OpSchema kQLinearMatMul{.op_type = "QLinearMatMul", .min_inputs = 8, .max_inputs = 8,
                                     .since_opset = 10, .infer = infer_qlinear_matmul,
                                     .compute = compute_qlinear_matmul};

}  // namespace shrink::ops
