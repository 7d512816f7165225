// Runtime fusion of GELU written out in primitive ops, as PyTorch exports nn.GELU() before opset 20
// and as shrink's own transformer builds it:
//   Div(x, sqrt 2) | Mul(x, 1 / sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5)
//   (or Mul(Mul(x, 0.5), .) at the end; operands of Add / Mul in either order)
// becomes one Gelu (exact form), which the matrix-product and convolution fusions then take as their
// activation (activation_match.cc) and whose fast kernel evaluates erf vectorized. Only through
// values nobody else reads.
#include <cmath>

#include "ops/op.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

bool is_op(const ir::Node& n, const char* op) { return n.domain.empty() && n.op_type == op && n.inputs.size() == 2; }

// The scalar float constant v, if it is one.
bool scalar_value(const ir::Graph& g, const std::string& v, float& out) {
  const Tensor* t = g.initializer(v);
  if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
  out = t->data<float>()[0];
  return true;
}

bool near(float v, double want) { return std::abs(double(v) - want) <= 1e-6 * std::abs(want); }

// n's operand other than v, when n reads v once ("" otherwise).
std::string other(const ir::Node& n, const std::string& v) {
  if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
  if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
  return "";
}

// The x / sqrt 2 scaling of Erf's input: x, or "" if it is not one.
std::string scaled_input(const ir::Graph& g, const ir::Node& n) {
  float c = 0;
  if (is_op(n, "Div") && scalar_value(g, n.inputs[1], c) && near(c, std::sqrt(2.0))) return n.inputs[0];
  if (is_op(n, "Mul")) {
    for (int i = 0; i < 2; ++i)
      if (scalar_value(g, n.inputs[size_t(1 - i)], c) && near(c, std::sqrt(0.5))) return n.inputs[size_t(i)];
  }
  return "";
}

}  // namespace

ir::Graph fuse_gelu(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& erf = g.nodes[i];
    if (removed[i] || !erf.domain.empty() || erf.op_type != "Erf" || erf.inputs.size() != 1) continue;
    auto it = uses.producer.find(erf.inputs[0]);
    if (it == uses.producer.end() || removed[it->second] || uses.only_reader(erf.inputs[0]) < 0) continue;
    const size_t scale_i = it->second;
    const std::string x = scaled_input(g, g.nodes[scale_i]);
    if (x.empty()) continue;
    float c = 0;
    const long add_i = uses.only_reader(erf.outputs[0]);
    if (add_i < 0 || !is_op(g.nodes[size_t(add_i)], "Add")) continue;
    const ir::Node& add = g.nodes[size_t(add_i)];
    if (!scalar_value(g, other(add, erf.outputs[0]), c) || c != 1.f) continue;
    const long mul_i = uses.only_reader(add.outputs[0]);
    if (mul_i < 0 || !is_op(g.nodes[size_t(mul_i)], "Mul")) continue;
    const ir::Node& mul = g.nodes[size_t(mul_i)];
    const std::string m = other(mul, add.outputs[0]);
    std::vector<size_t> chain{scale_i, i, size_t(add_i), size_t(mul_i)};
    std::string out;
    if (m == x) {  // x * (1 + erf) then * 0.5
      const long half_i = uses.only_reader(mul.outputs[0]);
      if (half_i < 0 || !is_op(g.nodes[size_t(half_i)], "Mul")) continue;
      const ir::Node& half = g.nodes[size_t(half_i)];
      if (!scalar_value(g, other(half, mul.outputs[0]), c) || c != 0.5f) continue;
      chain.push_back(size_t(half_i));
      out = half.outputs[0];
    } else {  // (x * 0.5) * (1 + erf)
      auto hp = uses.producer.find(m);
      if (hp == uses.producer.end() || removed[hp->second] || uses.only_reader(m) < 0) continue;
      const ir::Node& half = g.nodes[hp->second];
      if (!is_op(half, "Mul") || other(half, x).empty() || !scalar_value(g, other(half, x), c) || c != 0.5f) continue;
      chain.push_back(hp->second);
      out = mul.outputs[0];
    }
    // The Gelu takes the place of the chain's last node in graph order (x is computed before all).
    size_t last = 0;
    for (size_t k : chain) last = std::max(last, k);
    ir::Node gelu;
    gelu.name = erf.name + "_gelu";
    gelu.op_type = "Gelu";
    gelu.inputs = {x};
    gelu.outputs = {out};
    ops::bind(gelu, std::max<int64_t>(g.opset(), 20));  // Gelu is opset 20's; a runtime-only node
    for (size_t k : chain) removed[k] = k != last;
    g.nodes[last] = std::move(gelu);
  }
  drop_nodes(g, removed);
  return g;
}

}  // namespace shrink::passes
