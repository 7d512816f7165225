// Runtime fusion: MatMul(a, W const 2-D) [-> Add(bias const [N])] [-> Add(residual)] [-> Relu |
// LeakyRelu | Clip | Sigmoid | HardSwish] becomes one com.shrink FusedMatMul (ops/internal/
// fused_matmul.h), so the product's kernel writes the finished result in one pass over memory
// instead of one pass per elementwise op (a Transformer layer exported by PyTorch has a bias Add
// after each of its four products, two residual Adds and a Relu). Only through values nobody else
// reads.
#include "ops/op.h"
#include "passes/activation_match.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

bool is_default(const ir::Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

// The Add's other input than v.
std::string other_input(const ir::Node& add, const std::string& v) {
  if (add.inputs.size() != 2) return "";
  if (add.inputs[0] == v && add.inputs[1] != v) return add.inputs[1];
  if (add.inputs[1] == v && add.inputs[0] != v) return add.inputs[0];
  return "";
}

}  // namespace

ir::Graph fuse_matmul(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> removed(g.nodes.size(), false), touched(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& mm = g.nodes[i];
    if (!is_default(mm, "MatMul") || mm.outputs.size() != 1 || touched[i]) continue;
    const Tensor* w = g.initializer(mm.inputs[1]);
    if (!w || w->dtype() != DType::kFloat32 || w->rank() != 2) continue;
    const int64_t n = w->dim(1);
    std::string out = mm.outputs[0], bias, residual;
    std::vector<size_t> absorbed;
    auto next_reader = [&](const std::string& v) -> long {
      long r = uses.only_reader(v);
      return r >= 0 && !touched[size_t(r)] ? r : -1;
    };
    long next = next_reader(out);
    if (next >= 0 && is_default(g.nodes[size_t(next)], "Add")) {
      const std::string other = other_input(g.nodes[size_t(next)], out);
      const Tensor* b = other.empty() ? nullptr : g.initializer(other);
      if (b && b->dtype() == DType::kFloat32 && b->rank() == 1 && b->dim(0) == n) {
        bias = other;
        absorbed.push_back(size_t(next));
        out = g.nodes[size_t(next)].outputs[0];
        next = next_reader(out);
      }
    }
    if (next >= 0 && is_default(g.nodes[size_t(next)], "Add")) {
      const std::string other = other_input(g.nodes[size_t(next)], out);
      if (!other.empty() && !g.initializer(other)) {
        residual = other;
        absorbed.push_back(size_t(next));
        out = g.nodes[size_t(next)].outputs[0];
        next = next_reader(out);
      }
    }
    ops::Activation act = ops::Activation::kNone;
    float alpha = 0.f, beta = 0.f;
    if (next >= 0 && as_activation(g, g.nodes[size_t(next)], act, alpha, beta)) {
      absorbed.push_back(size_t(next));
      out = g.nodes[size_t(next)].outputs[0];
    }
    if (absorbed.empty()) continue;
    ir::Node fused;
    fused.name = mm.name;
    fused.domain = "com.shrink";
    fused.op_type = "FusedMatMul";
    fused.inputs = {mm.inputs[0], mm.inputs[1], bias};
    if (!residual.empty()) fused.inputs.push_back(residual);
    fused.outputs = {out};
    fused.attrs["activation"] = std::string(ops::activation_name(act));
    fused.attrs["alpha"] = alpha;
    fused.attrs["beta"] = beta;
    ops::bind(fused, g.opset());
    // In place of the last absorbed node, where the residual is surely computed.
    const size_t last = absorbed.back();
    for (size_t k : absorbed) touched[k] = true;
    touched[i] = true;
    g.nodes[last] = std::move(fused);
    removed[i] = true;
    for (size_t k = 0; k + 1 < absorbed.size(); ++k) removed[absorbed[k]] = true;
  }
  drop_nodes(g, removed);
  return g;
}

}  // namespace shrink::passes
