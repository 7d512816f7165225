// Runtime fusion of the QDQ form ONNX Runtime's static quantizer emits into the int8 ops:
//   DequantizeLinear(x_q) + DequantizeLinear(w_q const) [+ bias] -> Conv | MatMul | Gemm
//     [-> Add(float bias const), MatMul only] [-> Relu | Clip] [-> QuantizeLinear]
// becomes one com.shrink QConv / QMatMul (requantized output, or float32 without the Quantize), and
// DequantizeLinear -> MaxPool | Reshape | Flatten | Transpose | Squeeze | Unsqueeze -> QuantizeLinear
// with equal parameters runs on the int8 values (these ops commute with quantization exactly).
#include "ir/builder.h"
#include "ops/nn/gemm.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"

namespace shrink::passes {
namespace {

constexpr const char* kInt8Movers[] = {"MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze"};

bool moves_int8(const ir::Node& n) {
  if (!n.domain.empty() || n.outputs.size() != 1) return false;
  for (const char* op : kInt8Movers)
    if (n.op_type == op) return true;
  return false;
}

// DQ -> mover -> Q with equal parameters: the mover reads the int8 input and writes Q's output.
ir::Graph int8_movers(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    ir::Node& n = g.nodes[i];
    if (removed[i] || !moves_int8(n)) continue;
    const ir::Node* dq = uses.produced_by(g, n.inputs[0], "DequantizeLinear");
    QParams in, out;
    if (!dq || !per_tensor_params(g, *dq, in)) continue;
    const long next = uses.only_reader(n.outputs[0]);
    if (next < 0) continue;
    const ir::Node& q = g.nodes[size_t(next)];
    if (!q.domain.empty() || q.op_type != "QuantizeLinear" || !per_tensor_params(g, q, out) ||
        !same_params(g, in, out))
      continue;
    n.inputs[0] = dq->inputs[0];
    n.outputs[0] = q.outputs[0];
    removed[size_t(next)] = true;
  }
  drop_nodes(g, removed);
  return g;
}

struct Operands {
  std::string x;
  QParams xq;
  WeightDQ w;
};

// The node's input 0 from a per-tensor DequantizeLinear and input 1 from a weight DequantizeLinear
// per tensor or per `channel_axis`.
bool dq_operands(const ir::Graph& g, const GraphUses& uses, const ir::Node& n, int64_t channel_axis, Operands& o) {
  const ir::Node* dq = uses.produced_by(g, n.inputs[0], "DequantizeLinear");
  if (!dq || !per_tensor_params(g, *dq, o.xq)) return false;
  o.x = dq->inputs[0];
  return weight_dq(g, uses, n.inputs[1], channel_axis, o.w);
}

// Gemm's transposed B ([N, K]) as [K, N] (with its per-row parameters, now per column).
std::string transposed(ir::Graph& g, const std::string& name) {
  const Tensor& w = g.initializers.at(name);
  const int64_t n = w.dim(0), k = w.dim(1);
  Tensor t(w.dtype(), {k, n});
  const auto* src = static_cast<const uint8_t*>(w.raw());
  auto* dst = static_cast<uint8_t*>(t.raw());
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) dst[c * n + r] = src[r * k + c];
  return ir::GraphBuilder(g).constant(name + "_kn", std::move(t));
}

// Tries to fuse node i; returns the fused node and marks what it absorbed in `taken`.
bool fuse_at(ir::Graph& g, const GraphUses& uses, size_t i, std::vector<bool>& taken, ir::Node& fused) {
  const ir::Node& n = g.nodes[i];
  if (!n.domain.empty() || n.outputs.size() != 1 || n.inputs.size() < 2) return false;
  Operands o;
  std::string bias, bias_value;
  std::string start = n.outputs[0];
  std::vector<size_t> absorbed;
  const char* op = "QMatMul";
  ir::AttributeMap attrs;
  if (n.op_type == "Conv") {
    if (!dq_operands(g, uses, n, 0, o)) return false;
    const Tensor& w = g.initializers.at(o.w.w);
    if (w.rank() < 3) return false;
    if (n.has_input(2) && !float_bias(g, uses, n.inputs[2], w.dim(0), bias)) return false;
    op = "QConv";
    attrs = n.attrs;
  } else if (n.op_type == "Gemm") {
    const auto& a = n.attrs_as<ops::GemmAttrs>();
    if (a.trans_a || a.alpha != 1.f || (n.has_input(2) && a.beta != 1.f)) return false;
    if (!dq_operands(g, uses, n, a.trans_b ? 0 : 1, o) || g.initializers.at(o.w.w).rank() != 2) return false;
    const int64_t N = g.initializers.at(o.w.w).dim(a.trans_b ? 0 : 1);
    if (n.has_input(2) && !float_bias(g, uses, n.inputs[2], N, bias)) return false;
    if (a.trans_b) o.w.w = transposed(g, o.w.w);
  } else if (n.op_type == "MatMul") {
    if (!dq_operands(g, uses, n, 1, o) || g.initializers.at(o.w.w).rank() != 2) return false;
    const int64_t N = g.initializers.at(o.w.w).dim(1);
    const long next = uses.only_reader(start);
    if (next >= 0 && !taken[size_t(next)] && g.nodes[size_t(next)].op_type == "Add" &&
        g.nodes[size_t(next)].domain.empty()) {
      const ir::Node& add = g.nodes[size_t(next)];
      const std::string& other = add.inputs[0] == start ? add.inputs[1] : add.inputs[0];
      if (other != start && g.initializer(other) && float_bias(g, uses, other, N, bias)) {
        absorbed.push_back(size_t(next));
        start = add.outputs[0];
      }
    }
  } else {
    return false;
  }
  Tail t = match_tail(g, uses, start, taken);
  absorbed.insert(absorbed.end(), t.absorbed.begin(), t.absorbed.end());
  fused = make_q_node(g, n, op, {o.x, o.xq.scale, o.xq.zp, o.w.w, o.w.scale, o.w.zp, bias, t.y_scale, t.y_zp},
                      std::move(attrs), t.act, t.out);
  for (size_t k : absorbed) taken[k] = true;
  return true;
}

}  // namespace

ir::Graph fuse_qdq(ir::Graph g) {
  g = int8_movers(std::move(g));
  GraphUses uses(g);
  std::vector<bool> taken(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    ir::Node fused;
    if (taken[i] || !fuse_at(g, uses, i, taken, fused)) continue;
    g.nodes[i] = std::move(fused);  // its inputs are all defined before the node it replaces
  }
  drop_nodes(g, taken);
  return g;
}

}  // namespace shrink::passes
