// Mod: broadcasting remainder. fmod=0 (default) takes the divisor's sign, like Python and np.mod;
// fmod=1 takes the dividend's, like C fmod. Integer division by zero is refused as bad input;
// floats follow IEEE (x mod 0 = NaN). fmod=0 on floats is accepted with np.mod semantics.
#include "ops/attr_reader.h"
#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

struct ModAttrs : ir::OpAttrs {
  bool fmod = false;
};

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ModAttrs>();
  const int64_t fmod = r.get_int("fmod", 0);
  SHRINK_CHECK(fmod == 0 || fmod == 1, node.label(), " fmod=", fmod, " must be 0 or 1");
  a->fmod = fmod == 1;
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " does not accept bool tensors");
  return infer_broadcast_binary(node, in, out);
}

template <class T>
T int_mod(T x, T y, bool fmod) {
  if constexpr (std::is_signed_v<T>) {
    if (y == T(-1)) return T(0);  // avoids the MIN % -1 overflow trap
  }
  T r = T(x % y);
  if constexpr (std::is_signed_v<T>) {
    if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = T(r + y);
  }
  return r;
}

template <class C>
C float_mod(C x, C y, bool fmod) {
  C r = std::fmod(x, y);
  if (!fmod) {
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    else if (r == 0) r = std::copysign(C(0), y);
  }
  return r;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const bool fmod = node.attrs_as<ModAttrs>().fmod;
  visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      // Checked up front: kernels run on worker threads, where throwing is not an option.
      const T* b = static_cast<const T*>(in[1].raw());
      for (int64_t i = 0; i < in[1].numel(); ++i)
        SHRINK_CHECK(b[i] != T(0), node.label(), " integer modulo by zero (divisor element ", i, ")");
      broadcast_apply<T, T>(in[0], in[1], out[0], [fmod](T x, T y) { return int_mod(x, y, fmod); });
    } else {
      broadcast_apply<T, T>(in[0], in[1], out[0], [fmod](auto x, auto y) { return float_mod(x, y, fmod); });
    }
  }, node.label());
}

}  // namespace

extern const OpSchema kMod{.op_type = "Mod", .min_inputs = 2, .max_inputs = 2, .since_opset = 10, .parse = parse,
                           .infer = infer, .compute = compute};

}  // namespace shrink::ops
