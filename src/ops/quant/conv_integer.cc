// ConvInteger: convolution of uint8/int8 operands minus their zero points (x per tensor, w per
// tensor or per output channel) accumulated in int32, over Conv's geometry.
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

bool infer_conv_integer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const ConvGeometry g = check_conv_operands(node, in, 0, 2, 1, 3);
  out[0] = ValueMeta{DType::kInt32, g.output_shape()};
  return true;
}

void compute_conv_integer(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[0].shape(), in[1].shape());
  Tensor x32, w32;
  prepare_conv_operands(in, 0, 2, 1, 3, x32, w32);
  conv_int32(g, x32, w32, out[0]);
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_zero_point_types(node, c, {{0, 2}, {1, 3}});
}

}  // namespace

extern const OpSchema kConvInteger{.op_type = "ConvInteger", .min_inputs = 2, .max_inputs = 4, .since_opset = 10,
                                   .parse = parse, .infer = infer_conv_integer, .compute = compute_conv_integer,
                                   .validate = validate};

}  // namespace shrink::ops
