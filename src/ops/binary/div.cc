// Div: c = a / b with numpy broadcasting. Integer division truncates toward zero (C semantics);
// an integer divisor of zero is refused as bad input rather than trapping, and MIN / -1 wraps.
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

template <class T>
T int_div(T x, T y) {
  if constexpr (std::is_signed_v<T>) {
    if (y == T(-1)) return wrap_sub(T(0), x);  // avoids the MIN / -1 overflow trap
  }
  return T(x / y);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      // Checked up front: kernels run on worker threads, where throwing is not an option.
      const T* b = static_cast<const T*>(in[1].raw());
      for (int64_t i = 0; i < in[1].numel(); ++i)
        SHRINK_CHECK(b[i] != T(0), node.label(), " integer division by zero (divisor element ", i, ")");
      broadcast_apply<T, T>(in[0], in[1], out[0], [](T x, T y) { return int_div(x, y); });
    } else {
      broadcast_apply<T, T>(in[0], in[1], out[0], [](auto x, auto y) { return x / y; });
    }
  }, node.label());
}

}  // namespace

extern const OpSchema kDiv{.op_type = "Div", .min_inputs = 2, .max_inputs = 2,
                           .infer = infer_broadcast_binary, .compute = compute};

}  // namespace shrink::ops
