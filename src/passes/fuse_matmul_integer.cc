// Runtime fusion of what dynamic quantization leaves of a product of two run-time values
// (attention's Q K^T and A V, after fuse_qoperators has taken every MatMulInteger with constant
// weights):
//   MatMulInteger(a, b, a_zp, b_zp) -> Cast(to float) -> Mul(scale)
// becomes one com.shrink MatMulIntegerScaled(a, b, scale, a_zp, b_zp)
// (ops/internal/matmul_integer_scaled.cc), whose kernel writes the scaled float product in one pass
// instead of an int32 tensor, its float copy and the scaled copy. Taken only when scale is surely
// one float32 (so the Mul broadcasts nothing): a one-element float initializer of rank <= 1,
// DynamicQuantizeLinear's scale output, or the Mul of two of these (ONNX Runtime's quantizer writes
// Mul(a_scale, b_scale)); and only through values nobody else reads.
#include "ops/op.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

bool scalar_leaf(const ir::Graph& g, const GraphUses& uses, const std::string& v) {
  if (const Tensor* t = g.initializer(v)) return t->dtype() == DType::kFloat32 && t->numel() == 1 && t->rank() <= 1;
  const ir::Node* d = uses.produced_by(g, v, "DynamicQuantizeLinear");
  return d && d->outputs.size() > 1 && d->outputs[1] == v;
}

bool scalar_scale(const ir::Graph& g, const GraphUses& uses, const std::string& v) {
  if (scalar_leaf(g, uses, v)) return true;
  const ir::Node* m = uses.produced_by(g, v, "Mul");
  return m && m->inputs.size() == 2 && scalar_leaf(g, uses, m->inputs[0]) && scalar_leaf(g, uses, m->inputs[1]);
}

}  // namespace

ir::Graph fuse_matmul_integer(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> touched(g.nodes.size(), false), removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& mm = g.nodes[i];
    if (touched[i] || !is_default(mm, "MatMulInteger") || mm.inputs.size() < 2 || mm.outputs.size() != 1) continue;
    const long cast_i = uses.only_reader(mm.outputs[0]);
    if (cast_i < 0 || touched[size_t(cast_i)]) continue;
    const ir::Node& cast = g.nodes[size_t(cast_i)];
    if (!is_default(cast, "Cast")) continue;
    auto to = cast.attrs.find("to");
    if (to == cast.attrs.end() || !std::holds_alternative<int64_t>(to->second) ||
        std::get<int64_t>(to->second) != int64_t(DType::kFloat32))
      continue;
    const long mul_i = uses.only_reader(cast.outputs[0]);
    if (mul_i < 0 || touched[size_t(mul_i)]) continue;
    const ir::Node& mul = g.nodes[size_t(mul_i)];
    if (!is_default(mul, "Mul") || mul.inputs.size() != 2 || mul.inputs[0] == mul.inputs[1]) continue;
    const std::string& scale = mul.inputs[0] == cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
    if (!scalar_scale(g, uses, scale)) continue;
    ir::Node fused;
    fused.name = mm.name;
    fused.domain = "com.shrink";
    fused.op_type = "MatMulIntegerScaled";
    fused.inputs = {mm.inputs[0], mm.inputs[1], scale, mm.has_input(2) ? mm.inputs[2] : "",
                    mm.has_input(3) ? mm.inputs[3] : ""};
    while (fused.inputs.back().empty()) fused.inputs.pop_back();
    fused.outputs = {mul.outputs[0]};
    ops::bind(fused, g.opset());
    place_fused(g, i, {size_t(cast_i), size_t(mul_i)}, std::move(fused), touched, removed);
  }
  drop_nodes(g, removed);
  return g;
}

}  // namespace shrink::passes
