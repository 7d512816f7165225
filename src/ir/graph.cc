// Graph queries, verification and topological sorting.
#include "ir/graph.h"

#include <deque>
#include <set>

namespace shrink::ir {

const char* attribute_kind_name(const Attribute& a) {
  static const char* kNames[] = {"int", "float", "string", "ints", "floats", "strings", "tensor"};
  return kNames[a.index()];
}

std::string Node::label() const {
  return "[" + op_type + " '" + name + "']";
}

int64_t Graph::opset() const {
  for (const auto& o : opsets)
    if (o.domain.empty() || o.domain == "ai.onnx") return o.version;
  return 0;
}

const Tensor* Graph::initializer(const std::string& v) const {
  auto it = initializers.find(v);
  return it == initializers.end() ? nullptr : &it->second;
}

std::string Graph::fresh_name(const std::string& hint) const {
  std::set<std::string> used;
  for (const auto& n : nodes) {
    used.insert(n.outputs.begin(), n.outputs.end());
    used.insert(n.name);
  }
  for (const auto& i : inputs) used.insert(i.name);
  for (const auto& [k, v] : initializers) used.insert(k);
  if (!used.count(hint)) return hint;
  for (int i = 1;; ++i) {
    std::string c = hint + "_" + std::to_string(i);
    if (!used.count(c)) return c;
  }
}

std::map<std::string, size_t> Graph::producers() const {
  std::map<std::string, size_t> p;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (!o.empty()) p[o] = i;
  return p;
}

std::map<std::string, int> Graph::use_counts() const {
  std::map<std::string, int> u;
  for (const auto& n : nodes)
    for (const auto& i : n.inputs)
      if (!i.empty()) ++u[i];
  for (const auto& o : outputs) ++u[o.name];
  return u;
}

void verify(const Graph& g) {
  std::set<std::string> defined;
  for (const auto& i : g.inputs) {
    SHRINK_CHECK(!i.name.empty(), "graph input with an empty name");
    SHRINK_CHECK(defined.insert(i.name).second, "graph input '", i.name, "' is declared twice");
  }
  for (const auto& [name, t] : g.initializers) defined.insert(name);
  for (const auto& n : g.nodes) {
    for (const auto& in : n.inputs)
      SHRINK_CHECK(in.empty() || defined.count(in), n.label(), " input '", in,
                   "' is not defined before use (undefined value or cycle)");
    for (const auto& out : n.outputs)
      SHRINK_CHECK(out.empty() || defined.insert(out).second, n.label(), " output '", out,
                   "' is already defined");
  }
  std::set<std::string> outs;
  for (const auto& o : g.outputs) {
    SHRINK_CHECK(defined.count(o.name), "graph output '", o.name, "' is not produced by the graph");
    SHRINK_CHECK(outs.insert(o.name).second, "graph output '", o.name, "' is listed twice");
  }
}

namespace {
bool in_topological_order(const Graph& g) {
  std::set<std::string> defined;
  for (const auto& i : g.inputs) defined.insert(i.name);
  for (const auto& n : g.nodes) {
    for (const auto& in : n.inputs)
      if (!in.empty() && !defined.count(in) && !g.is_initializer(in)) return false;
    defined.insert(n.outputs.begin(), n.outputs.end());
  }
  return true;
}
}  // namespace

void topological_sort(Graph& g) {
  if (in_topological_order(g)) return;
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& o : g.nodes[i].outputs)
      if (!o.empty()) {
        SHRINK_CHECK(!producer.count(o) && !g.is_initializer(o), g.nodes[i].label(), " output '", o,
                     "' is already defined");
        producer[o] = i;
      }
  std::set<std::string> graph_inputs;
  for (const auto& i : g.inputs) graph_inputs.insert(i.name);
  std::vector<int> pending(g.nodes.size(), 0);
  std::vector<std::vector<size_t>> consumers(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs) {
      if (in.empty() || g.is_initializer(in) || graph_inputs.count(in)) continue;
      auto it = producer.find(in);
      SHRINK_CHECK(it != producer.end(), g.nodes[i].label(), " input '", in, "' is not defined");
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  std::deque<size_t> ready;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!pending[i]) ready.push_back(i);
  std::vector<Node> sorted;
  sorted.reserve(g.nodes.size());
  while (!ready.empty()) {
    size_t i = ready.front();
    ready.pop_front();
    sorted.push_back(std::move(g.nodes[i]));
    for (size_t c : consumers[i])
      if (--pending[c] == 0) ready.push_back(c);
  }
  if (sorted.size() != g.nodes.size()) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (pending[i]) fail_input(g.nodes[i].label(), " is part of a cycle");
  }
  g.nodes = std::move(sorted);
}

}  // namespace shrink::ir
