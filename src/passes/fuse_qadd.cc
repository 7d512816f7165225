// Runtime fusion of the quantized residual Add of ONNX Runtime's QDQ form:
//   DequantizeLinear(a_q) + DequantizeLinear(b_q) -> Add [-> Relu | Clip] -> QuantizeLinear
// (all parameters per tensor constants) becomes one com.shrink QAdd on the int8 values, which
// computes exactly what the chain computes (ops/internal/qadd.cc). Without the QuantizeLinear the
// Add stays float. The DequantizeLinear nodes stay while something else reads them.
#include "passes/passes.h"
#include "passes/qdq_match.h"

namespace shrink::passes {
namespace {

// Input `i` of n from a per-tensor DequantizeLinear: its quantized value and parameters.
bool dq_input(const ir::Graph& g, const GraphUses& uses, const ir::Node& n, size_t i, std::string& x, QParams& p) {
  const ir::Node* dq = uses.produced_by(g, n.inputs[i], "DequantizeLinear");
  if (!dq || !per_tensor_params(g, *dq, p)) return false;
  x = dq->inputs[0];
  return true;
}

}  // namespace

ir::Graph fuse_qadd(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> taken(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (taken[i] || !n.domain.empty() || n.op_type != "Add" || n.inputs.size() != 2 || n.outputs.size() != 1) continue;
    std::string a, b;
    QParams pa, pb;
    if (!dq_input(g, uses, n, 0, a, pa) || !dq_input(g, uses, n, 1, b, pb)) continue;
    const Tail t = match_tail(g, uses, n.outputs[0], taken);
    if (t.y_scale.empty()) continue;
    ir::Node fused = make_q_node(g, n, "QAdd", {a, pa.scale, pa.zp, b, pb.scale, pb.zp, t.y_scale, t.y_zp}, {},
                                 t.act, t.out);
    for (size_t k : t.absorbed) taken[k] = true;
    g.nodes[i] = std::move(fused);  // its inputs are all defined before the Add it replaces
  }
  drop_nodes(g, taken);
  return g;
}

}  // namespace shrink::passes
