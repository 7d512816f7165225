// Who reads and who produces each value of a graph, for the fusion passes' pattern matching
// (fuse_conv, fuse_qdq, fuse_qoperators): a chain may absorb a node only when it is its value's one
// reader and the value is not a graph output.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::passes {

// n is the default-domain op `op`.
inline bool is_default(const ir::Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

struct GraphUses {
  std::map<std::string, std::vector<size_t>> readers;
  std::map<std::string, size_t> producer;
  std::set<std::string> graph_outputs;

  explicit GraphUses(const ir::Graph& g) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) readers[in].push_back(i);
      for (const auto& out : g.nodes[i].outputs)
        if (!out.empty()) producer[out] = i;
    }
    for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  }
  // The single node reading v, or -1 when v has several readers or is a graph output.
  long only_reader(const std::string& v) const {
    auto it = readers.find(v);
    if (graph_outputs.count(v) || it == readers.end() || it->second.size() != 1) return -1;
    return long(it->second[0]);
  }
  // The node producing v when it is a default-domain `op_type`, else null.
  const ir::Node* produced_by(const ir::Graph& g, const std::string& v, const char* op_type) const {
    auto it = producer.find(v);
    if (it == producer.end()) return nullptr;
    const ir::Node& n = g.nodes[it->second];
    return is_default(n, op_type) ? &n : nullptr;
  }
};

// Fusion bookkeeping: node `first` and the chain of nodes `absorbed` after it (in graph order) become
// `fused`, which takes the place of the last of them (where every input it reads, e.g. a residual,
// is surely computed); all are marked touched, the others removed.
inline void place_fused(ir::Graph& g, size_t first, const std::vector<size_t>& absorbed, ir::Node fused,
                        std::vector<bool>& touched, std::vector<bool>& removed) {
  const size_t last = absorbed.empty() ? first : absorbed.back();
  touched[first] = true;
  for (size_t k : absorbed) touched[k] = true;
  g.nodes[last] = std::move(fused);
  if (last != first) removed[first] = true;
  for (size_t k = 0; k + 1 < absorbed.size(); ++k) removed[absorbed[k]] = true;
}

// Drops the nodes marked in `removed`, keeping the order of the others.
inline void drop_nodes(ir::Graph& g, const std::vector<bool>& removed) {
  std::vector<ir::Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);
}

}  // namespace shrink::passes
