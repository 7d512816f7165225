// Parameterized float activations: LeakyRelu, HardSigmoid, HardSwish and Gelu (exact erf form or
// the tanh approximation). Evaluated in double and rounded once, to match numpy near zero.
#include <cmath>

#include "ops/attr_reader.h"
#include "ops/unary/activation.h"
#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse_leaky(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<LeakyReluAttrs>();
  a->alpha = r.get_float("alpha", 0.01f);
  r.done();
  return a;
}

void compute_leaky(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const double alpha = node.attrs_as<LeakyReluAttrs>().alpha;
  map_float_precise(in[0], out[0], [alpha](double v) { return v < 0 ? v * alpha : v; });
}

std::shared_ptr<const ir::OpAttrs> parse_hard_sigmoid(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<HardSigmoidAttrs>();
  a->alpha = r.get_float("alpha", 0.2f);
  a->beta = r.get_float("beta", 0.5f);
  r.done();
  return a;
}

void compute_hard_sigmoid(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<HardSigmoidAttrs>();
  const double alpha = a.alpha, beta = a.beta;
  map_float_precise(in[0], out[0], [=](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); });
}

void compute_hard_swish(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float_precise(in[0], out[0], [](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); });
}

std::shared_ptr<const ir::OpAttrs> parse_gelu(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<GeluAttrs>();
  const std::string approx = r.get_string("approximate", "none");
  SHRINK_CHECK(approx == "none" || approx == "tanh", node.label(), " approximate='", approx,
               "' must be 'none' or 'tanh'");
  a->tanh_approximation = approx == "tanh";
  r.done();
  return a;
}

void compute_gelu(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  if (node.attrs_as<GeluAttrs>().tanh_approximation) {
    const double k = std::sqrt(2.0 / M_PI);
    map_float_precise(in[0], out[0], [k](double v) { return 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))); });
  } else {
    map_float_precise(in[0], out[0], [](double v) { return 0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)); });
  }
}

}  // namespace

extern const OpSchema kLeakyRelu{.op_type = "LeakyRelu", .parse = parse_leaky, .infer = infer_float_unary,
                                 .compute = compute_leaky};
extern const OpSchema kHardSigmoid{.op_type = "HardSigmoid", .parse = parse_hard_sigmoid,
                                   .infer = infer_float_unary, .compute = compute_hard_sigmoid};
extern const OpSchema kHardSwish{.op_type = "HardSwish", .since_opset = 14, .infer = infer_float_unary,
                                 .compute = compute_hard_swish};
extern const OpSchema kGelu{.op_type = "Gelu", .since_opset = 20, .parse = parse_gelu, .infer = infer_float_unary,
                            .compute = compute_gelu};

}  // namespace shrink::ops
