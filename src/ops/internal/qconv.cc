// com.shrink QConv (see quantized.h): Conv's geometry over uint8/int8 x and w with zero points
// (x per tensor, w per tensor or per output channel); the reference kernel is ConvInteger's exact
// int32 convolution followed by the shared float epilogue.
#include "ops/internal/quantized.h"
#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<QConvAttrs>();
  parse_conv_common(node, r, *a);
  a->act = parse_q_activation(node, r);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const ConvGeometry g = check_conv_operands(node, in, kQX, kQXZp, kQW, kQWZp);
  out[0] = check_q_params(node, in, g.out_channels, g.output_shape());
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<QConvAttrs>(), in[kQX].shape(), in[kQW].shape());
  Tensor x32, w32, acc(DType::kInt32, g.output_shape());
  prepare_conv_operands(in, kQX, kQXZp, kQW, kQWZp, x32, w32);
  conv_int32(g, x32, w32, acc);
  finish_quantized(node, in, node.attrs_as<QConvAttrs>().act, acc, g.out_channels, numel(g.out_spatial), out[0]);
}

}  // namespace

extern const OpSchema kQConv{.op_type = "QConv", .domain = "com.shrink", .min_inputs = 5, .max_inputs = kQInputs,
                             .parse = parse, .infer = infer, .compute = compute, .validate = validate_quantized};

}  // namespace shrink::ops
