// QLinearConv: ConvInteger's int32 convolution of x and w minus their zero points (x per tensor, w
// per tensor or per output channel), plus the int32 bias, requantized:
// y = saturate(round_half_even(acc * x_s * w_s[m] / y_s) + y_zp).
#include <type_traits>

#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConvAttrs>();
  parse_conv_common(node, r, *a);
  r.done();
  return a;
}

// QLinearConv inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
bool infer_qlinear_conv(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const ConvGeometry g = check_conv_operands(node, in, 0, 2, 3, 5);
  check_int8(node, in[7], "y_zero_point");
  for (int i : {1, 4, 6}) require_scale_dtype(node, in[size_t(i)], "scale");
  require_single(node, in[1].shape, "x_scale");
  check_per_channel(node, in[4].shape, g.out_channels, "w_scale");
  require_single(node, in[6].shape, "y_scale");
  require_single(node, in[7].shape, "y_zero_point");
  if (in.size() > 8 && in[8].present()) {
    SHRINK_CHECK(in[8].dtype == DType::kInt32, node.label(), " bias B must be int32, got ",
                 onnx_type_name(int(in[8].dtype)));
    SHRINK_CHECK(in[8].shape == Shape{g.out_channels}, node.label(), " bias B has shape ", shape_str(in[8].shape),
                 ", expected {", g.out_channels, "}");
  }
  check_scales(node, in[1], "x_scale");
  check_scales(node, in[4], "w_scale");
  check_scales(node, in[6], "y_scale");
  out[0] = ValueMeta{in[7].dtype, g.output_shape()};
  return true;
}

void compute_qlinear_conv(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[0].shape(), in[3].shape());
  const float xs = read_scales(node, in[1], "x_scale")[0];
  const std::vector<float> ws = read_scales(node, in[4], "w_scale");
  const float ys = read_scales(node, in[6], "y_scale")[0];
  Tensor x32, w32, acc(DType::kInt32, g.output_shape());
  prepare_conv_operands(in, 0, 2, 3, 5, x32, w32);
  conv_int32(g, x32, w32, acc);
  const int32_t* bias = in.size() > 8 && in[8].defined() ? in[8].data<int32_t>() : nullptr;
  std::vector<double> mult(size_t(g.out_channels));
  for (int64_t m = 0; m < g.out_channels; ++m) mult[size_t(m)] = double(xs * ws[ws.size() == 1 ? 0 : size_t(m)] / ys);
  const double zp = double(in[7].as_int64(0));
  const QuantRange range = quant_range(in[7].dtype());
  const int64_t plane = numel(g.out_spatial);
  const int32_t* pa = acc.data<int32_t>();
  visit_dtype(in[7].dtype(), [&](auto tag) {
    using Q = decltype(tag);
    if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t>) {
      Q* py = out[0].data<Q>();
      parallel_for(acc.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const int64_t m = plane ? (i / plane) % g.out_channels : 0;
          // The bias adds in int32 and wraps, as an int32 accumulator would.
          const int32_t v = bias ? int32_t(uint32_t(pa[i]) + uint32_t(bias[m])) : pa[i];
          py[i] = Q(round_saturate(double(v) * mult[size_t(m)], zp, range));
        }
      });
    }
  });
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{1, "x_scale"}, {4, "w_scale"}, {6, "y_scale"}});
  validate_zero_point_types(node, c, {{0, 2}, {3, 5}});
}

}  // namespace

extern const OpSchema kQLinearConv{.op_type = "QLinearConv", .min_inputs = 8, .max_inputs = 9, .since_opset = 10,
                                   .parse = parse, .infer = infer_qlinear_conv, .compute = compute_qlinear_conv,
                                   .validate = validate};

}  // namespace shrink::ops
