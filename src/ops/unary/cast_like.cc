// CastLike (opset 15+): Cast to the element type of input 1 (whose data is not read). The
// conversion is Cast's; `saturate` (19+) and `round_mode` only matter for float8/float4 targets,
// which shrink refuses, so they are validated and dropped.
#include "ops/attr_reader.h"
#include "ops/unary/unary.h"

namespace shrink::ops {

extern const OpSchema kCast;

namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  if (opset >= 19) {
    const int64_t saturate = r.get_int("saturate", 1);
    SHRINK_CHECK(saturate == 0 || saturate == 1, node.label(), " saturate=", saturate, " must be 0 or 1");
  }
  if (opset >= 24) {
    const std::string mode = r.get_string("round_mode", "up");
    SHRINK_CHECK(mode == "up" || mode == "down" || mode == "nearest", node.label(), " round_mode='", mode,
                 "' must be 'up', 'down' or 'nearest'");
  }
  r.done();
  return std::make_shared<ir::OpAttrs>();
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  for (int i = 0; i < 2; ++i)
    SHRINK_CHECK(traits(in[size_t(i)].dtype).supported && dtype_size(in[size_t(i)].dtype) > 0, node.label(),
                 " cast ", i == 0 ? "from " : "to ", onnx_type_name(int(in[size_t(i)].dtype)), " is not supported");
  out[0] = ValueMeta{in[1].dtype, in[0].shape};
  return true;
}

// Cast's kernel reads only the input and output dtypes, never the node's attributes.
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  kCast.compute(node, in.first(1), out);
}

}  // namespace

extern const OpSchema kCastLike{.op_type = "CastLike", .min_inputs = 2, .max_inputs = 2, .since_opset = 15,
                                .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
