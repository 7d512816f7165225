// Token and position embedding tables stored as int8 behind DequantizeLinear (embedding.h).
#include "compress/quant/embedding.h"

#include <map>
#include <vector>

#include "ir/builder.h"

namespace shrink::compress {
namespace {

constexpr bool kReduceRange = false;  // 8-bit: Gather and Add read the table as floats, no int8 kernel

bool float_table(const ir::Graph& g, const std::string& v) {
  const Tensor* t = g.initializer(v);
  return t && t->dtype() == DType::kFloat32 && t->rank() >= 2;
}

// Every use of value v is as input `slot` of a standard node of type `op`.
bool only_read_as(const ir::Graph& g, const std::string& v, const char* op, size_t slot) {
  for (const auto& o : g.outputs)
    if (o.name == v) return false;
  for (const auto& n : g.nodes)
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] == v && (!n.domain.empty() || n.op_type != op || k != slot)) return false;
  return true;
}

}  // namespace

void quantize_embeddings(ir::Graph& g, const std::set<std::string>& exclude, WeightScale method, QuantReport& r) {
  ir::GraphBuilder b(g);
  std::map<std::string, std::string> dequantized;  // float table -> its DequantizeLinear output
  auto table = [&](const std::string& t) {
    auto it = dequantized.find(t);
    if (it != dequantized.end()) return it->second;
    const Tensor& w = g.initializers.at(t);
    const QuantizedWeight q = quantize_weight(w, -1, kReduceRange, method);
    r.weight_bytes_before += int64_t(w.nbytes());
    r.weight_bytes_after += int64_t(q.q.nbytes() + q.scale.nbytes() + q.zp.nbytes());
    const std::string dq =
        b.op("DequantizeLinear",
             {b.constant(t + "_quantized", q.q), b.constant(t + "_scale", q.scale), b.constant(t + "_zero_point", q.zp)},
             {}, t + "_DequantizeLinear");
    return dequantized.emplace(t, dq).first->second;
  };
  const size_t original = g.nodes.size();
  std::set<std::string> gathered;  // outputs of the Gathers whose table is now int8
  for (size_t i = 0; i < original; ++i) {
    const ir::Node& n = g.nodes[i];
    if (!n.domain.empty() || n.op_type != "Gather" || exclude.count(n.name) || n.inputs.size() != 2 ||
        !float_table(g, n.inputs[0]) || !only_read_as(g, n.inputs[0], "Gather", 0))
      continue;
    const std::string dq = table(n.inputs[0]);
    g.nodes[i].inputs[0] = dq;  // b.op may have reallocated g.nodes
    gathered.insert(g.nodes[i].outputs[0]);
    ++r.quantized["Gather"];
  }
  for (size_t i = 0; i < original; ++i) {
    const ir::Node& n = g.nodes[i];
    if (!n.domain.empty() || n.op_type != "Add" || exclude.count(n.name) || n.inputs.size() != 2) continue;
    for (size_t k : {0, 1}) {
      const std::string& c = n.inputs[k];
      if (!gathered.count(n.inputs[1 - k]) || !float_table(g, c) || !only_read_as(g, c, "Add", k)) continue;
      const std::string dq = table(c);
      g.nodes[i].inputs[k] = dq;
      ++r.quantized["Add"];
      break;
    }
  }
}

}  // namespace shrink::compress
