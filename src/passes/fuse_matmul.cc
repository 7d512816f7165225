// Runtime fusion: MatMul(a, W const 2-D) [-> Add(bias const [N])] [-> Add(residual)] [-> Relu |
// LeakyRelu | Clip | Sigmoid | HardSwish] becomes one com.shrink FusedMatMul (ops/internal/
// fused_matmul.h), so the product's kernel writes the finished result in one pass over memory
// instead of one pass per elementwise op (a Transformer layer exported by PyTorch has a bias Add
// after each of its four products, two residual Adds and a Relu). Only through values nobody else
// reads. A Gemm with a constant weight (alpha 1, A not transposed, C absent or a constant row)
// enters the same chain as MatMul(a, W as [K, N]) + bias C * beta: PyTorch exports every Linear of
// a 2-D input as Gemm with transB = 1, and a weight transposed once here spares BLAS the transposed
// packing on every run. A MatMul with a constant weight and nothing to fuse becomes a FusedMatMul
// as well, for the packed weight.
#include "ops/nn/gemm.h"
#include "ops/op.h"
#include "passes/activation_match.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

// The Add's other input than v.
std::string other_input(const ir::Node& add, const std::string& v) {
  if (add.inputs.size() != 2) return "";
  if (add.inputs[0] == v && add.inputs[1] != v) return add.inputs[1];
  if (add.inputs[1] == v && add.inputs[0] != v) return add.inputs[0];
  return "";
}

// W^T of a 2-D float tensor.
Tensor transposed(const Tensor& w) {
  const int64_t r = w.dim(0), c = w.dim(1);
  Tensor t(DType::kFloat32, {c, r});
  const float* src = w.data<float>();
  float* dst = t.data<float>();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) dst[j * r + i] = src[i * c + j];
  return t;
}

std::string fresh_initializer(ir::Graph& g, const std::string& hint, Tensor t) {
  std::string name = hint;
  for (int k = 1; g.initializers.count(name); ++k) name = hint + "_" + std::to_string(k);
  g.initializers.emplace(name, std::move(t));
  return name;
}

// A Gemm that can enter a FusedMatMul: its weight as [K, N] and its bias as [N] ("" when none),
// added as initializers when they differ from the Gemm's own; false when it cannot.
bool gemm_as_matmul(ir::Graph& g, const ir::Node& n, std::string& w_kn, std::string& bias) {
  if (!is_default(n, "Gemm") || n.outputs.size() != 1) return false;
  const auto& a = n.attrs_as<ops::GemmAttrs>();
  const Tensor* w = g.initializer(n.inputs[1]);
  if (a.trans_a || a.alpha != 1.f || !w || w->dtype() != DType::kFloat32 || w->rank() != 2) return false;
  const int64_t cols = a.trans_b ? w->dim(0) : w->dim(1);
  const Tensor* c = n.has_input(2) ? g.initializer(n.inputs[2]) : nullptr;
  if (n.has_input(2)) {
    if (!c || c->dtype() != DType::kFloat32 || c->numel() != cols || c->rank() > 2 || c->shape().back() != cols)
      return false;
  }
  w_kn = a.trans_b ? fresh_initializer(g, n.inputs[1] + "_kn", transposed(*w)) : n.inputs[1];
  bias.clear();
  if (c) {
    Tensor b = c->reshaped({cols}).clone();
    for (int64_t i = 0; i < cols; ++i) b.data<float>()[i] *= a.beta;
    bias = fresh_initializer(g, n.inputs[2] + "_row", std::move(b));
  }
  return true;
}

}  // namespace

ir::Graph fuse_matmul(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> removed(g.nodes.size(), false), touched(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node mm = g.nodes[i];
    if (touched[i]) continue;
    std::string w_name = mm.inputs.size() > 1 ? mm.inputs[1] : "", bias, residual;
    const bool gemm = gemm_as_matmul(g, mm, w_name, bias);
    if (!gemm && (!is_default(mm, "MatMul") || mm.outputs.size() != 1)) continue;
    const Tensor* w = g.initializer(w_name);
    if (!w || w->dtype() != DType::kFloat32 || w->rank() != 2) continue;
    const int64_t n = w->dim(1);
    std::string out = mm.outputs[0];
    std::vector<size_t> absorbed;
    auto next_reader = [&](const std::string& v) -> long {
      long r = uses.only_reader(v);
      return r >= 0 && !touched[size_t(r)] ? r : -1;
    };
    long next = next_reader(out);
    if ((!gemm || bias.empty()) && next >= 0 && is_default(g.nodes[size_t(next)], "Add")) {
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
    // A lone MatMul with a constant weight becomes a FusedMatMul too: its kernels keep the weight
    // packed (cpu:sgemm-packed) or reordered (oneDNN) across runs, where sgemm re-packs it each time.
    ir::Node fused;
    fused.name = mm.name;
    fused.domain = "com.shrink";
    fused.op_type = "FusedMatMul";
    fused.inputs = {mm.inputs[0], w_name, bias};
    if (!residual.empty()) fused.inputs.push_back(residual);
    fused.outputs = {out};
    fused.attrs["activation"] = std::string(ops::activation_name(act));
    fused.attrs["alpha"] = alpha;
    fused.attrs["beta"] = beta;
    ops::bind(fused, g.opset());
    place_fused(g, i, absorbed, std::move(fused), touched, removed);
  }
  drop_nodes(g, removed);
  return eliminate_dead_code(std::move(g));  // a Gemm's weight that only it read, now transposed
}

}  // namespace shrink::passes
