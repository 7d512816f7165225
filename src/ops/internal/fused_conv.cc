// FusedConv schema: Conv's attributes plus activation/alpha/beta; its reference kernel runs the Conv
// reference kernel, then adds the residual and applies the activation.
#include "ops/internal/fused_conv.h"

#include <cmath>

#include "ops/common.h"
#include "ops/internal/gelu_erf.h"

namespace shrink::ops {
namespace {

struct ActivationRow {
  Activation act;
  const char* name;
};
constexpr ActivationRow kActivations[] = {{Activation::kNone, "none"},       {Activation::kRelu, "Relu"},
                                          {Activation::kLeakyRelu, "LeakyRelu"}, {Activation::kClip, "Clip"},
                                          {Activation::kSigmoid, "Sigmoid"}, {Activation::kHardSwish, "HardSwish"},
                                          {Activation::kGelu, "Gelu"}};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<FusedConvAttrs>();
  parse_conv_common(node, r, *a);
  parse_activation(node, r, a->activation, a->alpha, a->beta);
  r.done();
  return a;
}

const OpSchema& conv_schema() { return *find_op("", "Conv"); }

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  if (!conv_schema().infer(node, in.subspan(0, std::min<size_t>(in.size(), 3)), out)) return false;
  if (in.size() > 3 && in[3].present())
    SHRINK_CHECK(in[3].dtype == out[0].dtype && broadcast_shapes(out[0].shape, in[3].shape) == out[0].shape,
                 node.label(), " residual input must broadcast to the convolution output");
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  conv_schema().compute(node, in.subspan(0, std::min<size_t>(in.size(), 3)), out);
  SHRINK_CHECK(out[0].dtype() == DType::kFloat32, node.label(), " FusedConv is float32 only");
  const auto& a = node.attrs_as<FusedConvAttrs>();
  float* y = out[0].data<float>();
  if (in.size() > 3 && in[3].defined()) {
    const float* r = in[3].data<float>();
    Shape shapes[1] = {in[3].shape()};
    for_each_broadcast_row(out[0].shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
      for (int64_t i = 0; i < len; ++i) y[o + i] += r[off[0] + i * step[0]];
    });
  }
  apply_activation(a.activation, a.alpha, a.beta, y, out[0].numel());
}

}  // namespace

void parse_activation(const ir::Node& node, AttrReader& r, Activation& act, float& alpha, float& beta) {
  std::string name = r.get_string("activation", "none");
  bool found = false;
  for (const auto& row : kActivations)
    if (name == row.name) act = row.act, found = true;
  SHRINK_CHECK(found, node.label(), " unknown activation '", name, "'");
  alpha = r.get_float("alpha", 0.f);
  beta = r.get_float("beta", 0.f);
}

const char* activation_name(Activation a) {
  for (const auto& row : kActivations)
    if (row.act == a) return row.name;
  return "none";
}

void apply_activation(Activation act, float alpha, float beta, float* x, int64_t n) {
  switch (act) {
    case Activation::kNone: return;
    case Activation::kRelu: for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : 0.f; return;
    case Activation::kLeakyRelu: for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : alpha * x[i]; return;
    case Activation::kClip: for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], alpha), beta); return;
    case Activation::kSigmoid: for (int64_t i = 0; i < n; ++i) x[i] = 1.f / (1.f + std::exp(-x[i])); return;
    case Activation::kHardSwish:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] * std::min(std::max(x[i] / 6.f + 0.5f, 0.f), 1.f);
      return;
    case Activation::kGelu: gelu_erf_inplace(x, n); return;
  }
}

extern const OpSchema kFusedConv{.op_type = "FusedConv", .domain = "com.shrink", .min_inputs = 2, .max_inputs = 4,
                                 .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
