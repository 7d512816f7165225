// ActivationGrad(dY, X, [min], [max]) -> dX = dY * f'(X) for the elementwise activation named by
// the `activation` attribute (parsed into GradActivation at import). Derivatives are evaluated in
// double and rounded once. At kinks it follows PyTorch: Relu'(0) = 0, LeakyRelu'(0) = alpha,
// Abs'(0) = 0, HardSwish' = x/3 + 1/2 on [-3, 3], HardSigmoid' = alpha only strictly inside (0, 1),
// Clip passes the gradient where min <= x <= max (min/max are inputs 2 and 3, as Clip's 1 and 2).
#include <cmath>
#include <limits>

#include "ops/grad/grad_util.h"

namespace shrink::ops {
namespace {

struct ActivationRow {
  GradActivation kind;
  const char* name;
};
constexpr ActivationRow kActivations[] = {
    {GradActivation::kRelu, "Relu"},       {GradActivation::kLeakyRelu, "LeakyRelu"},
    {GradActivation::kSigmoid, "Sigmoid"}, {GradActivation::kTanh, "Tanh"},
    {GradActivation::kGelu, "Gelu"},       {GradActivation::kErf, "Erf"},
    {GradActivation::kHardSwish, "HardSwish"}, {GradActivation::kHardSigmoid, "HardSigmoid"},
    {GradActivation::kExp, "Exp"},         {GradActivation::kLog, "Log"},
    {GradActivation::kSqrt, "Sqrt"},       {GradActivation::kReciprocal, "Reciprocal"},
    {GradActivation::kAbs, "Abs"},         {GradActivation::kClip, "Clip"},
    {GradActivation::kSoftplus, "Softplus"},
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ActivationGradAttrs>();
  const std::string name = r.get_string("activation", "");
  const ActivationRow* row = nullptr;
  for (const auto& rw : kActivations)
    if (name == rw.name) row = &rw;
  SHRINK_CHECK(row, node.label(), " unknown activation '", name, "'");
  a->activation = row->kind;
  switch (row->kind) {
    case GradActivation::kLeakyRelu: a->alpha = r.get_float("alpha", 0.01f); break;
    case GradActivation::kHardSigmoid:
      a->alpha = r.get_float("alpha", 0.2f);
      a->beta = r.get_float("beta", 0.5f);
      break;
    case GradActivation::kGelu: {
      const std::string approx = r.get_string("approximate", "none");
      SHRINK_CHECK(approx == "none" || approx == "tanh", node.label(), " approximate='", approx,
                   "' must be 'none' or 'tanh'");
      if (approx == "tanh") a->activation = GradActivation::kGeluTanh;
      break;
    }
    default: break;
  }
  r.done();
  SHRINK_CHECK(row->kind == GradActivation::kClip || node.inputs.size() <= 2, node.label(),
               " takes min/max inputs only for activation 'Clip'");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0);
  require_same_dtype(node, in, 0, 1);
  require_same_shape(node, in, 0, 1);
  for (size_t i = 2; i < in.size(); ++i) {
    if (!in[i].present()) continue;
    require_same_dtype(node, in, 1, int(i));
    SHRINK_CHECK(numel(in[i].shape) == 1 && in[i].shape.size() <= 1, node.label(), " input ", i, " (",
                 i == 2 ? "min" : "max", ") must be a scalar, got shape ", shape_str(in[i].shape));
  }
  out[0] = {in[0].dtype, in[0].shape};
  return true;
}

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// Calls f(fprime) with fprime(x) = the activation's derivative at x (a distinct lambda per kind, so
// the loop is compiled once per activation without a per-element switch).
template <class F>
void with_derivative(const ActivationGradAttrs& a, double lo, double hi, F&& f) {
  const double alpha = a.alpha, beta = a.beta;
  switch (a.activation) {
    case GradActivation::kRelu: return f([](double x) { return x > 0 ? 1.0 : 0.0; });
    case GradActivation::kLeakyRelu: return f([alpha](double x) { return x > 0 ? 1.0 : alpha; });
    case GradActivation::kSigmoid:
      return f([](double x) {
        const double s = sigmoid(x);
        return s * (1.0 - s);
      });
    case GradActivation::kTanh:
      return f([](double x) {
        const double t = std::tanh(x);
        return 1.0 - t * t;
      });
    case GradActivation::kGelu:
      return f([](double x) {
        const double cdf = 0.5 * (1.0 + std::erf(x * M_SQRT1_2));
        const double pdf = std::exp(-0.5 * x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
        return cdf + x * pdf;
      });
    case GradActivation::kGeluTanh:
      return f([](double x) {
        const double k = std::sqrt(2.0 / M_PI), c = 0.044715;
        const double t = std::tanh(k * (x + c * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * c * x * x);
      });
    case GradActivation::kErf: return f([](double x) { return M_2_SQRTPI * std::exp(-x * x); });
    case GradActivation::kHardSwish:
      return f([](double x) { return x < -3.0 ? 0.0 : x <= 3.0 ? x / 3.0 + 0.5 : 1.0; });
    case GradActivation::kHardSigmoid:
      return f([alpha, beta](double x) {
        const double v = alpha * x + beta;
        return v > 0.0 && v < 1.0 ? alpha : 0.0;
      });
    case GradActivation::kExp: return f([](double x) { return std::exp(x); });
    case GradActivation::kLog: return f([](double x) { return 1.0 / x; });
    case GradActivation::kSqrt: return f([](double x) { return 0.5 / std::sqrt(x); });
    case GradActivation::kReciprocal: return f([](double x) { return -1.0 / (x * x); });
    case GradActivation::kAbs: return f([](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; });
    case GradActivation::kClip: return f([lo, hi](double x) { return x >= lo && x <= hi ? 1.0 : 0.0; });
    case GradActivation::kSoftplus: return f([](double x) { return sigmoid(x); });
  }
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<ActivationGradAttrs>();
  visit_grad_float(node, in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    if (in.size() > 2 && in[2].defined()) lo = double(in[2].data<T>()[0]);
    if (in.size() > 3 && in[3].defined()) hi = double(in[3].data<T>()[0]);
    const T* dy = in[0].data<T>();
    const T* x = in[1].data<T>();
    T* dx = out[0].data<T>();
    with_derivative(a, lo, hi, [&](auto fprime) {
      parallel_for(in[0].numel(), 1 << 13, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dx[i] = T(double(dy[i]) * fprime(double(x[i])));
      });
    });
  });
}

}  // namespace

extern const OpSchema kActivationGrad{.op_type = "ActivationGrad", .domain = kGradDomain, .min_inputs = 2,
                                      .max_inputs = 4, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
