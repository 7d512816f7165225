// Pow: z = x ^ y with numpy broadcasting. The exponent may have another numeric type than the base;
// the result has the base's type. Integer ^ integer is exact (wrapping) repeated squaring; other
// combinations go through double and, for an integer base, truncate back (saturating, NaN -> 0).
#include "ops/binary/binary.h"
#include "ops/unary/convert.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  for (int i = 0; i < 2; ++i)
    SHRINK_CHECK(in[size_t(i)].dtype != DType::kBool, node.label(), " input ", i, " must be numeric, got bool");
  out[0] = ValueMeta{in[0].dtype, broadcast_shapes(in[0].shape, in[1].shape)};
  return true;
}

template <class T, class U>
T int_pow(T base, U exp) {
  if constexpr (std::is_signed_v<U>) {
    if (exp < 0) {
      if (base == T(1)) return T(1);
      if constexpr (std::is_signed_v<T>)
        if (base == T(-1)) return (exp % 2) ? T(-1) : T(1);
      return T(0);  // |1/base^k| < 1 truncates to 0 (numpy refuses; 0^-k also lands here)
    }
  }
  T result = T(1);
  for (auto e = std::make_unsigned_t<U>(exp); e; e >>= 1) {
    if (e & 1) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
  }
  return result;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto base_tag) {
    using T = decltype(base_tag);
    visit_numeric(in[1].dtype(), [&](auto exp_tag) {
      using U = decltype(exp_tag);
      if constexpr (std::is_same_v<T, bool> || std::is_same_v<U, bool>) {
        fail_input(node.label(), " inputs must be numeric");  // unreachable: visit_numeric refuses bool
      } else if constexpr (std::is_integral_v<T> && std::is_integral_v<U>) {
        broadcast_apply2<T, U, T>(in[0], in[1], out[0], [](T x, U y) { return int_pow(x, y); });
      } else if constexpr (std::is_integral_v<T>) {
        broadcast_apply2<T, U, T>(in[0], in[1], out[0],
                                  [](T x, auto y) { return saturate_cast<T>(std::pow(double(x), double(y))); });
      } else {
        broadcast_apply2<T, U, T>(in[0], in[1], out[0], [](auto x, auto y) {
          return compute_t<T>(std::pow(double(x), double(y)));
        });
      }
    }, node.label());
  }, node.label());
}

}  // namespace

extern const OpSchema kPow{.op_type = "Pow", .min_inputs = 2, .max_inputs = 2, .infer = infer, .compute = compute};

}  // namespace shrink::ops
