// Constant folding with the reference kernels: any node whose inputs are all initializers is
// evaluated once and replaced by its results (except nodes producing graph outputs).
#include <set>

#include "ops/op.h"
#include "passes/passes.h"

namespace shrink::passes {

ir::Graph fold_constants(ir::Graph g) {
  std::set<std::string> graph_outputs;
  for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  std::vector<ir::Node> kept;
  for (auto& n : g.nodes) {
    bool foldable = true;
    for (const auto& i : n.inputs) foldable = foldable && (i.empty() || g.is_initializer(i));
    for (const auto& o : n.outputs) foldable = foldable && !graph_outputs.count(o);
    if (foldable) {
      std::vector<Tensor> in;
      for (const auto& i : n.inputs) in.push_back(i.empty() ? Tensor() : g.initializers.at(i));
      std::vector<Tensor> out = ops::run_reference(n, in);
      for (size_t k = 0; k < out.size(); ++k)
        if (!n.outputs[k].empty()) g.initializers[n.outputs[k]] = std::move(out[k]);
      continue;
    }
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
  return eliminate_dead_code(std::move(g));
}

}  // namespace shrink::passes
