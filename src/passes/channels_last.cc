// channels_last_int8: keeps int8 activations channels-last ([N,H,W,C], ops/internal/channels_last.h)
// across regions of QConv, int8-capable pools and elementwise ops, so that oneDNN's int8 kernels
// (which work on NHWC) run with no reorder between them; ONNX Transposes (perm 0,2,3,1 / 0,3,1,2)
// sit only at region borders. Modeled on block_layout.cc. Conditions for a node to join:
//   QConv: 2-D (rank-4 constant weights). Always joins (a plain x enters by a Transpose, which costs
//     what the kernel's own reorder would).
//   MaxPool: 2-D, no Indices output, channels-last input.
//   QAdd and Add / Sub / Mul / Div: both operands channels-last (rank 4 both, so broadcasting
//     commutes with the permutation), or one channels-last and the other a one-element constant.
//   Unary elementwise ops and per-tensor Quantize / DequantizeLinear (rank-0 constant parameters):
//     channels-last input, and some reader of the output could join (else the float result would
//     leave the region transposed, at up to 4x the bytes of the int8 value it came from).
// A channels-last value keeps its plain name for a Transpose placed just before its first plain reader.
#include <map>
#include <set>

#include "ops/internal/quantized.h"
#include "ops/nn/pool.h"
#include "passes/graph_uses.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

const std::set<std::string> kUnary = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
                                      "Identity", "QuantizeLinear", "DequantizeLinear"};
const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div"};

bool is_q_conv(const ir::Node& n) { return n.domain == "com.shrink" && n.op_type == "QConv" && n.outputs.size() == 1; }

class ChannelsLast {
 public:
  explicit ChannelsLast(ir::Graph& g) : g_(g), uses_(g) {
    for (const auto& in : g.inputs) plain_.insert(in.name);
    for (const auto& [name, t] : g.initializers) plain_.insert(name);
  }

  void run() {
    std::vector<ir::Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (auto& n : nodes) {
      if (try_conv(n) || try_pool(n) || try_elementwise(n)) continue;
      emit_plain(std::move(n));
    }
    for (const auto& o : g_.outputs) need_plain(o.name);
  }

 private:
  bool last(const std::string& v) const { return last_of_.count(v) > 0; }

  ir::Node transpose(const std::string& in, const std::string& out, std::vector<int64_t> perm) {
    ir::Node n;
    n.name = out + "/transpose";
    n.op_type = "Transpose";
    n.inputs = {in};
    n.outputs = {out};
    n.attrs["perm"] = std::move(perm);
    return n;
  }

  // The plain form of v, materialized on first need.
  void need_plain(const std::string& v) {
    if (v.empty() || plain_.count(v) || !last(v)) return;
    push(transpose(last_of_.at(v), v, {0, 3, 1, 2}));
    plain_.insert(v);
  }

  // The channels-last form of v, materialized on first need.
  std::string need_last(const std::string& v) {
    if (last(v)) return last_of_.at(v);
    push(transpose(v, v + "#nhwc", {0, 2, 3, 1}));
    return last_of_[v] = v + "#nhwc";
  }

  void emit_plain(ir::Node n) {
    for (const auto& in : n.inputs) need_plain(in);
    for (const auto& o : n.outputs) plain_.insert(o);
    g_.nodes.push_back(std::move(n));
  }

  // Emits n with its output renamed to the channels-last value of that name.
  void emit_last(ir::Node n) {
    const std::string out = n.outputs[0];
    n.outputs[0] = out + "#nhwc";
    last_of_[out] = n.outputs[0];
    push(std::move(n));
  }

  void push(ir::Node n) {
    n.typed = nullptr;
    ops::bind(n, g_.opset());
    g_.nodes.push_back(std::move(n));
  }

  bool try_conv(const ir::Node& n) {
    if (!is_q_conv(n)) return false;
    const Tensor* w = g_.initializer(n.inputs[3]);
    if (!w || w->rank() != 4) return false;
    ir::Node c = n;
    c.op_type = "NhwcQConv";
    c.inputs[0] = need_last(n.inputs[0]);
    emit_last(std::move(c));
    return true;
  }

  bool try_pool(const ir::Node& n) {
    if (!n.domain.empty() || n.op_type != "MaxPool" || !last(n.inputs[0])) return false;
    if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;
    if (n.attrs_as<ops::PoolAttrs>().kernel_shape.size() != 2) return false;
    ir::Node p = n;
    p.op_type = "NhwcMaxPool";
    p.domain = "com.shrink";
    p.outputs.resize(1);
    p.inputs[0] = last_of_.at(n.inputs[0]);
    emit_last(std::move(p));
    return true;
  }

  bool scalar_constant(const std::string& v, bool rank0) const {
    const Tensor* t = g_.initializer(v);
    return t && t->numel() == 1 && (!rank0 || t->rank() == 0);
  }

  bool qdq(const ir::Node& n) const { return n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear"; }

  // Whether some reader of v would take it channels-last (by op type: a guess that may miss).
  bool joinable_reader(const std::string& v) const {
    auto it = uses_.readers.find(v);
    if (it == uses_.readers.end()) return false;
    for (size_t r : it->second) {
      const ir::Node& n = g_nodes_[r];
      if (is_q_conv(n) && n.inputs[0] == v) return true;
      if (n.domain == "com.shrink" && n.op_type == "QAdd") return true;
      if (n.domain.empty() && (n.op_type == "MaxPool" || kUnary.count(n.op_type) || kBinary.count(n.op_type)))
        return true;
    }
    return false;
  }

  bool try_elementwise(const ir::Node& n) {
    if (n.outputs.size() != 1) return false;
    const bool qadd = n.domain == "com.shrink" && n.op_type == "QAdd";
    if (!qadd && !n.domain.empty()) return false;
    if (qadd || kBinary.count(n.op_type)) {
      const std::string& a = n.inputs[qadd ? ops::kQAddA : 0];
      const std::string& b = n.inputs[qadd ? ops::kQAddB : 1];
      const bool la = last(a), lb = last(b);
      if (!((la && lb) || (!qadd && ((la && scalar_constant(b, false)) || (lb && scalar_constant(a, false))))))
        return false;
    } else if (kUnary.count(n.op_type)) {
      if (!last(n.inputs[0]) || !joinable_reader(n.outputs[0])) return false;
      for (size_t i = 1; i < n.inputs.size(); ++i)
        if (!n.inputs[i].empty() && !scalar_constant(n.inputs[i], qdq(n))) return false;
    } else {
      return false;
    }
    ir::Node e = n;
    for (size_t i = 0; i < e.inputs.size(); ++i)
      if (last(e.inputs[i])) e.inputs[i] = last_of_.at(e.inputs[i]);
    emit_last(std::move(e));
    return true;
  }

  ir::Graph& g_;
  const GraphUses uses_;                        // of the original nodes (g_nodes_)
  const std::vector<ir::Node> g_nodes_ = g_.nodes;
  std::set<std::string> plain_;                 // values available in plain layout
  std::map<std::string, std::string> last_of_;  // value -> its channels-last form
};

}  // namespace

ir::Graph channels_last_int8(ir::Graph g) {
  ChannelsLast(g).run();
  return g;
}

}  // namespace shrink::passes
