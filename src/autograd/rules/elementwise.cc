// Gradient rules of the broadcasting arithmetic ops and the pass-through ops: each input's
// gradient is summed back to its own shape where broadcasting expanded it.
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {

std::vector<std::string> add(GradContext& c) {
  std::vector<std::string> g(2);
  for (size_t i = 0; i < 2; ++i)
    if (c.needs[i]) g[i] = c.sum_to(c.dy[0], c.out[0].shape, i);
  return g;
}

std::vector<std::string> sub(GradContext& c) {
  std::vector<std::string> g(2);
  if (c.needs[0]) g[0] = c.sum_to(c.dy[0], c.out[0].shape, 0);
  if (c.needs[1]) g[1] = c.sum_to(c.emit("Neg", {c.dy[0]}), c.out[0].shape, 1);
  return g;
}

std::vector<std::string> mul(GradContext& c) {
  std::vector<std::string> g(2);
  if (c.needs[0]) g[0] = c.sum_to(c.emit("Mul", {c.dy[0], c.x(1)}), c.out[0].shape, 0);
  if (c.needs[1]) g[1] = c.sum_to(c.emit("Mul", {c.dy[0], c.x(0)}), c.out[0].shape, 1);
  return g;
}

std::vector<std::string> div(GradContext& c) {
  std::vector<std::string> g(2);
  if (c.needs[0]) g[0] = c.sum_to(c.emit("Div", {c.dy[0], c.x(1)}), c.out[0].shape, 0);
  if (c.needs[1]) {
    // d(a/b)/db = -y/b
    std::string t = c.emit("Mul", {c.dy[0], c.emit("Div", {c.y(0), c.x(1)})});
    g[1] = c.sum_to(c.emit("Neg", {t}), c.out[0].shape, 1);
  }
  return g;
}

std::vector<std::string> pow(GradContext& c) {
  std::vector<std::string> g(2);
  if (c.dtype(1) != c.dtype(0) && c.needs[1]) c.unsupported("an exponent of another dtype than the base");
  if (c.needs[0]) {
    // b * a^(b-1); the exponent may be an integer tensor: cast it to the base's dtype first.
    std::string b = c.x(1);
    if (c.dtype(1) != c.dtype(0)) b = c.emit("Cast", {b}, {{"to", int64_t(c.dtype(0))}});
    std::string bm1 = c.emit("Sub", {b, c.scalar(1.0, c.dtype(0))});
    std::string d = c.emit("Mul", {b, c.emit("Pow", {c.x(0), bm1})});
    g[0] = c.sum_to(c.emit("Mul", {c.dy[0], d}), c.out[0].shape, 0);
  }
  if (c.needs[1]) {
    std::string d = c.emit("Mul", {c.y(0), c.emit("Log", {c.x(0)})});
    g[1] = c.sum_to(c.emit("Mul", {c.dy[0], d}), c.out[0].shape, 1);
  }
  return g;
}

std::vector<std::string> neg(GradContext& c) { return {c.emit("Neg", {c.dy[0]})}; }

std::vector<std::string> identity(GradContext& c) { return {c.dy[0]}; }

std::vector<std::string> sum(GradContext& c) {
  std::vector<std::string> g(c.node.inputs.size());
  for (size_t i = 0; i < g.size(); ++i)
    if (c.needs[i]) g[i] = c.sum_to(c.dy[0], c.out[0].shape, i);
  return g;
}

std::vector<std::string> cast(GradContext& c) {
  if (!is_float(c.dtype(0))) return {""};
  return {c.emit("Cast", {c.dy[0]}, {{"to", int64_t(c.dtype(0))}})};
}

std::vector<std::string> where(GradContext& c) {
  std::vector<std::string> g(3);
  std::string zero = c.scalar(0.0, c.out[0].dtype);
  if (c.needs[1]) g[1] = c.sum_to(c.emit("Where", {c.x(0), c.dy[0], zero}), c.out[0].shape, 1);
  if (c.needs[2]) g[2] = c.sum_to(c.emit("Where", {c.x(0), zero, c.dy[0]}), c.out[0].shape, 2);
  return g;
}

std::vector<std::string> expand(GradContext& c) {
  return {c.sum_to(c.dy[0], c.out[0].shape, 0), ""};
}

}  // namespace shrink::autograd::rules
