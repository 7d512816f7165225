// Elementwise math: Abs and Neg (every numeric type; integers wrap like numpy), and the float
// ops Sqrt, Reciprocal, Exp, Log, Erf, Tanh, Sigmoid (transcendentals evaluated in double).
#include <cmath>

#include "ops/unary/unary.h"

namespace shrink::ops {
namespace {

void compute_abs(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    map_typed<T>(in[0], out[0], [](auto v) {
      using C = decltype(v);
      if constexpr (std::is_unsigned_v<C> || std::is_same_v<C, bool>) return v;
      else if constexpr (std::is_integral_v<C>) return v < 0 ? C(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(v)) : v;
      else return C(std::fabs(v));
    });
  }, node.label());
}

void compute_neg(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    map_typed<T>(in[0], out[0], [](auto v) {
      using C = decltype(v);
      if constexpr (std::is_same_v<C, bool>) return v;  // unreachable: visit_numeric refuses bool
      else if constexpr (std::is_integral_v<C>) return C(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(v));
      else return C(-v);
    });
  }, node.label());
}

bool infer_neg(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(is_float(in[0].dtype) || traits(in[0].dtype).is_signed, node.label(),
               " input must be float or signed integer, got ", dtype_name(in[0].dtype));
  return infer_numeric_unary(node, in, out);
}

void compute_sqrt(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float(in[0], out[0], [](auto v) { return std::sqrt(v); });
}
void compute_reciprocal(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float(in[0], out[0], [](auto v) { return decltype(v)(1) / v; });
}
void compute_exp(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float_precise(in[0], out[0], [](double v) { return std::exp(v); });
}
void compute_log(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float_precise(in[0], out[0], [](double v) { return std::log(v); });
}
void compute_erf(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float_precise(in[0], out[0], [](double v) { return std::erf(v); });
}
void compute_tanh(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_float_precise(in[0], out[0], [](double v) { return std::tanh(v); });
}
void compute_sigmoid(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  // Both branches avoid exp overflow for large |v|.
  map_float_precise(in[0], out[0], [](double v) {
    if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
    const double e = std::exp(v);
    return e / (1.0 + e);
  });
}

}  // namespace

extern const OpSchema kAbs{.op_type = "Abs", .infer = infer_numeric_unary, .compute = compute_abs};
extern const OpSchema kNeg{.op_type = "Neg", .infer = infer_neg, .compute = compute_neg};
extern const OpSchema kSqrt{.op_type = "Sqrt", .infer = infer_float_unary, .compute = compute_sqrt};
extern const OpSchema kReciprocal{.op_type = "Reciprocal", .infer = infer_float_unary, .compute = compute_reciprocal};
extern const OpSchema kExp{.op_type = "Exp", .infer = infer_float_unary, .compute = compute_exp};
extern const OpSchema kLog{.op_type = "Log", .infer = infer_float_unary, .compute = compute_log};
extern const OpSchema kErf{.op_type = "Erf", .infer = infer_float_unary, .compute = compute_erf};
extern const OpSchema kTanh{.op_type = "Tanh", .infer = infer_float_unary, .compute = compute_tanh};
extern const OpSchema kSigmoid{.op_type = "Sigmoid", .infer = infer_float_unary, .compute = compute_sigmoid};

}  // namespace shrink::ops
