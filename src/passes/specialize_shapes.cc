// Shape specialization for the runtime: with every input's dtype and shape known (a Session knows
// them on each run), the shape arithmetic PyTorch exports (Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape, Slice bounds computed from Shape, ...) depends on nothing but those shapes. Walking the
// nodes in order with the reference shape inference, each Shape / Size whose input shape is known
// becomes a constant, and each node whose inputs are then all constants is evaluated once with the
// reference kernels (as fold_constants does); the rest keep their place. The result is exact for
// inputs of these shapes only: a Session keeps one specialized graph per input signature.
// Returns nullopt when an output shape cannot be inferred (a value only known at run time decides
// it) or when there is nothing to fold.
#include <map>
#include <set>

#include "ops/op.h"
#include "passes/passes.h"

namespace shrink::passes {

std::optional<ir::Graph> specialize_shapes(const ir::Graph& graph, std::span<const InputSignature> inputs) {
  if (inputs.size() != graph.inputs.size()) return std::nullopt;
  ir::Graph g = graph;
  struct Meta {
    DType dtype;
    Shape shape;
  };
  std::map<std::string, Meta> known;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<ir::Dim> dims;
    for (int64_t d : inputs[i].shape) dims.push_back({d, ""});
    g.inputs[i].dims = std::move(dims);
    known[g.inputs[i].name] = {inputs[i].dtype, inputs[i].shape};
  }
  std::set<std::string> graph_outputs;
  for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  std::vector<ir::Node> kept;
  bool folded_shape = false;
  for (auto& n : g.nodes) {
    std::vector<ops::ValueMeta> in(n.inputs.size());
    bool all_constant = true;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& v = n.inputs[i];
      if (v.empty()) continue;
      if (const Tensor* t = g.initializer(v)) {
        in[i] = {t->dtype(), t->shape(), t};
        continue;
      }
      auto it = known.find(v);
      if (it == known.end()) return std::nullopt;  // not in topological order, or from an unknown source
      in[i] = {it->second.dtype, it->second.shape, nullptr};
      all_constant = false;
    }
    bool output = false;
    for (const auto& o : n.outputs) output = output || graph_outputs.count(o);
    const bool shape_op = n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size") && !in.empty() &&
                          in[0].present();
    if (!output && (shape_op || (all_constant && !n.inputs.empty()))) {
      std::vector<Tensor> args;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i].empty()) args.emplace_back();
        else if (in[i].value) args.push_back(*in[i].value);
        else args.emplace_back(DType::kUInt8, in[i].shape);  // Shape / Size read only the dims
      }
      std::vector<Tensor> out = ops::run_reference(n, args);
      for (size_t k = 0; k < out.size(); ++k)
        if (!n.outputs[k].empty()) g.initializers[n.outputs[k]] = std::move(out[k]);
      folded_shape = folded_shape || shape_op;
      continue;
    }
    std::vector<ops::ValueMeta> out(n.outputs.size());
    if (!ops::schema_of(n).infer(n, in, out)) return std::nullopt;
    for (size_t k = 0; k < out.size(); ++k)
      if (!n.outputs[k].empty()) known[n.outputs[k]] = {out[k].dtype, out[k].shape};
    kept.push_back(std::move(n));
  }
  if (!folded_shape) return std::nullopt;
  g.nodes = std::move(kept);
  return eliminate_dead_code(std::move(g));
}

}  // namespace shrink::passes
