// Graph plumbing shared by the quantizers: bind/verify, node removal + topological order + dead
// code, weight transposition, inference Dropout bypass, initializer sizes.
#include "compress/quant/quant_graph.h"

#include <cstring>
#include <map>
#include <set>

#include "compress/quant/quantize.h"
#include "core/error.h"
#include "ops/op.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::compress {

namespace {

// Readers of Identity(initializer) read the initializer itself: PyTorch's exporter shares equal
// weights (e.g. the deep-copied layers of nn.TransformerEncoder) through Identity nodes, which
// would otherwise hide the constant weight from the quantizers.
void bypass_constant_identity(ir::Graph& g) {
  std::set<std::string> graph_outputs;
  for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  std::map<std::string, std::string> alias;
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.domain.empty() && n.op_type == "Identity" && n.inputs.size() == 1 && g.is_initializer(n.inputs[0]) &&
        !graph_outputs.count(n.outputs[0])) {
      alias[n.outputs[0]] = n.inputs[0];
      removed[i] = true;
    }
  }
  if (alias.empty()) return;
  for (auto& n : g.nodes)
    for (auto& in : n.inputs)
      if (auto a = alias.find(in); a != alias.end()) in = a->second;
  passes::drop_nodes(g, removed);
}

}  // namespace

void prepare_graph(ir::Graph& g) {
  bypass_constant_identity(g);
  ops::bind_all(g);
  ir::verify(g);
}

void finish_graph(ir::Graph& g, const std::vector<bool>& replaced) {
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < replaced.size(); ++i) removed[i] = replaced[i];
  passes::drop_nodes(g, removed);
  ir::topological_sort(g);
  g = passes::eliminate_dead_code(std::move(g));
  ops::bind_all(g);
  ir::verify(g);
}

Tensor transpose_2d(const Tensor& t) {
  const int64_t r = t.dim(0), c = t.dim(1);
  const size_t es = dtype_size(t.dtype());
  Tensor out(t.dtype(), {c, r});
  const auto* src = static_cast<const uint8_t*>(t.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) std::memcpy(dst + size_t(j * r + i) * es, src + size_t(i * c + j) * es, es);
  return out;
}

void bypass_inference_dropout(ir::Graph& g) {
  std::map<std::string, std::string> alias;
  std::set<std::string> graph_outputs;
  for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  std::vector<bool> removed(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    ir::Node& n = g.nodes[i];
    for (auto& in : n.inputs)
      if (auto a = alias.find(in); a != alias.end()) in = a->second;
    if (!n.domain.empty() || n.op_type != "Dropout" || graph_outputs.count(n.outputs[0])) continue;
    if (n.outputs.size() > 1 && !n.outputs[1].empty()) continue;  // the mask is read
    if (n.has_input(2)) {
      const Tensor* mode = g.initializer(n.inputs[2]);
      if (!mode || mode->numel() != 1 || mode->as_int64(0) != 0) continue;
    }
    alias[n.outputs[0]] = n.inputs[0];
    removed[i] = true;
  }
  passes::drop_nodes(g, removed);
}

int64_t initializer_bytes(const ir::Graph& g) {
  int64_t bytes = 0;
  for (const auto& [name, t] : g.initializers) bytes += int64_t(t.nbytes());
  return bytes;
}

}  // namespace shrink::compress
