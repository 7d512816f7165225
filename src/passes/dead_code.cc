// Dead code elimination: keep only what the graph outputs depend on.
#include <set>

#include "passes/passes.h"

namespace shrink::passes {

ir::Graph eliminate_dead_code(ir::Graph g) {
  std::set<std::string> live;
  for (const auto& o : g.outputs) live.insert(o.name);
  std::vector<bool> keep(g.nodes.size(), false);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const auto& n = g.nodes[i];
    for (const auto& o : n.outputs)
      if (!o.empty() && live.count(o)) keep[i] = true;
    if (keep[i])
      for (const auto& in : n.inputs) live.insert(in);
  }
  std::vector<ir::Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (keep[i]) nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);
  for (auto it = g.initializers.begin(); it != g.initializers.end();)
    it = live.count(it->first) ? std::next(it) : g.initializers.erase(it);
  return g;
}

}  // namespace shrink::passes
