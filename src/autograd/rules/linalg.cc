// Gradient rules of MatMul and Gemm. Matrix products of an N-D activation with a 2-D weight
// fold the batch dims into rows, so the weight gradient is one GEMM rather than a batched
// product summed afterwards.
#include "autograd/rules/rules.h"
#include "ops/nn/gemm.h"

namespace shrink::autograd::rules {
std::vector<std::string> matmul(GradContext& c) {
  const size_t ra = c.rank(0), rb = c.rank(1), ry = c.out[0].shape.size();
  if (ra < 2 || rb < 2) c.unsupported("MatMul with a 1-D operand");
  std::vector<std::string> g(2);
  const Shape& ys = c.out[0].shape;
  if (c.needs[0]) {
    // dA = dY . B^T, batch dims summed back to A's.
    std::string bt = c.transpose_last2(c.x(1), rb);
    Shape s = ys;
    s[ry - 1] = c.in[0].shape[ra - 1];
    g[0] = c.sum_to(c.emit("MatMul", {c.dy[0], bt}), s, 0);
  }
  if (c.needs[1]) {
    if (rb == 2 && ra > 2) {
      // dB = A2^T . dY2 with A2 = A as [rows, K], dY2 = dY as [rows, N].
      const int64_t k = c.in[1].shape[0], n = c.in[1].shape[1];
      std::string a2 = c.emit("Reshape", {c.x(0), c.ints({-1, k})});
      std::string d2 = c.emit("Reshape", {c.dy[0], c.ints({-1, n})});
      g[1] = c.emit("Gemm", {a2, d2}, {{"transA", int64_t(1)}});
    } else {
      std::string at = c.transpose_last2(c.x(0), ra);
      Shape s = ys;
      s[ry - 2] = c.in[1].shape[rb - 2];
      g[1] = c.sum_to(c.emit("MatMul", {at, c.dy[0]}), s, 1);
    }
  }
  return g;
}

// Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' likewise.
std::vector<std::string> gemm(GradContext& c) {
  const auto& a = c.node.attrs_as<ops::GemmAttrs>();
  const float alpha = a.alpha, beta = a.beta;
  const int64_t ta = a.trans_a, tb = a.trans_b;
  std::vector<std::string> g(c.node.inputs.size());
  const std::string& dy = c.dy[0];
  if (c.needs[0]) {
    if (!ta) g[0] = c.emit("Gemm", {dy, c.x(1)}, {{"alpha", alpha}, {"transB", int64_t(!tb)}});
    else g[0] = c.emit("Gemm", {c.x(1), dy}, {{"alpha", alpha}, {"transA", tb}, {"transB", int64_t(1)}});
  }
  if (c.needs[1]) {
    if (!tb) g[1] = c.emit("Gemm", {c.x(0), dy}, {{"alpha", alpha}, {"transA", int64_t(!ta)}});
    else g[1] = c.emit("Gemm", {dy, c.x(0)}, {{"alpha", alpha}, {"transA", int64_t(1)}, {"transB", ta}});
  }
  if (c.node.has_input(2) && c.needs[2]) {
    std::string d = dy;
    if (beta != 1.f) d = c.emit("Mul", {dy, c.scalar(beta, c.out[0].dtype)});
    g[2] = c.sum_to(d, c.out[0].shape, 2);
  }
  return g;
}

}  // namespace shrink::autograd::rules
