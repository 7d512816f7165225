// Cast: converts to the `to` type, any pair of the dtypes shrink supports (floats incl. 16-bit,
// integers, bool). Targets shrink cannot hold (float8, int4, string, ...) are refused at parse.
#include <cstring>

#include "ops/attr_reader.h"
#include "ops/unary/activation.h"
#include "ops/unary/convert.h"
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<CastAttrs>();
  const int64_t to = r.require_int("to");
  SHRINK_CHECK(to > 0 && to < 256 && dtype_traits(int(to)).supported, node.label(), " cast to ",
               onnx_type_name(int(to)), " is not supported");
  a->to = DType(to);
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
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(traits(in[0].dtype).supported, node.label(), " cast from ", dtype_name(in[0].dtype),
               " is not supported");
  out[0] = ValueMeta{node.attrs_as<CastAttrs>().to, in[0].shape};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& x = in[0];
  Tensor& y = out[0];
  if (x.dtype() == y.dtype()) {
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return;
  }
  visit_dtype(x.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    visit_dtype(y.dtype(), [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = static_cast<const From*>(x.raw());
      To* dst = static_cast<To*>(y.raw());
      parallel_for(x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dst[i] = convert_value<To>(src[i]);
      });
    }, node.label());
  }, node.label());
}

}  // namespace

extern const OpSchema kCast{.op_type = "Cast", .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
