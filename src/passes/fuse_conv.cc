// Runtime fusion: Conv [-> Add(residual)] [-> Relu | LeakyRelu | Clip | Sigmoid | HardSwish] becomes
// one com.shrink FusedConv, so oneDNN applies the sum and the activation as post-ops. Only float32
// convolutions whose weights are constants or graph inputs (training feeds parameters as inputs),
// and only through values nobody else reads.
#include "ops/internal/fused_conv.h"
#include "ops/op.h"
#include "passes/activation_match.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {

ir::Graph fuse_conv(ir::Graph g) {
  const GraphUses uses(g);
  std::vector<bool> removed(g.nodes.size(), false), touched(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    ir::Node& conv = g.nodes[i];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) continue;
    const Tensor* w = g.initializer(conv.inputs[1]);
    DType w_type = w ? w->dtype() : DType::kUndefined;
    for (const auto& in : g.inputs)
      if (!w && in.name == conv.inputs[1]) w_type = in.dtype;
    if (w_type != DType::kFloat32) continue;
    std::string residual, out = conv.outputs[0];
    std::vector<size_t> absorbed;
    long next = uses.only_reader(out);
    if (next >= 0 && touched[size_t(next)]) continue;
    if (next >= 0 && g.nodes[size_t(next)].op_type == "Add" && g.nodes[size_t(next)].domain.empty()) {
      const ir::Node& add = g.nodes[size_t(next)];
      residual = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
      if (residual == out) residual.clear();
      else {
        absorbed.push_back(size_t(next));
        out = add.outputs[0];
        next = uses.only_reader(out);
        if (next >= 0 && touched[size_t(next)]) next = -1;
      }
    }
    ops::Activation act = ops::Activation::kNone;
    float alpha = 0.f, beta = 0.f;
    if (next >= 0 && as_activation(g, g.nodes[size_t(next)], act, alpha, beta)) {
      absorbed.push_back(size_t(next));
      out = g.nodes[size_t(next)].outputs[0];
    }
    if (absorbed.empty()) continue;
    ir::Node fused = conv;
    fused.domain = "com.shrink";
    fused.op_type = "FusedConv";
    fused.inputs.resize(3);
    if (!residual.empty()) fused.inputs.push_back(residual);
    fused.outputs = {out};
    fused.attrs["activation"] = std::string(ops::activation_name(act));
    fused.attrs["alpha"] = alpha;
    fused.attrs["beta"] = beta;
    ops::bind(fused, g.opset());
    place_fused(g, i, absorbed, std::move(fused), touched, removed);
  }
  drop_nodes(g, removed);
  return g;
}

}  // namespace shrink::passes
