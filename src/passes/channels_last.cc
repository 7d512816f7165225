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
#include <set>

#include "ops/internal/quantized.h"
#include "ops/nn/pool.h"
#include "passes/graph_uses.h"
#include "passes/layout_regions.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

const std::set<std::string> kUnary = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
                                      "Identity", "QuantizeLinear", "DequantizeLinear"};
const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div"};

bool is_q_conv(const ir::Node& n) { return n.domain == "com.shrink" && n.op_type == "QConv" && n.outputs.size() == 1; }

class ChannelsLast final : public LayoutRegions {
 public:
  explicit ChannelsLast(ir::Graph& g) : LayoutRegions(g, "#nhwc"), uses_(g), nodes_(g.nodes) {}

 private:
  bool try_join(const ir::Node& n) override { return try_conv(n) || try_pool(n) || try_elementwise(n); }

  static ir::Node transpose(const std::string& in, const std::string& out, std::vector<int64_t> perm) {
    ir::Node n;
    n.name = out + "/transpose";
    n.op_type = "Transpose";
    n.inputs = {in};
    n.outputs = {out};
    n.attrs["perm"] = std::move(perm);
    return n;
  }
  ir::Node to_region(const std::string& plain, const std::string& region) const override {
    return transpose(plain, region, {0, 2, 3, 1});
  }
  ir::Node to_plain(const std::string& region, const std::string& plain) const override {
    return transpose(region, plain, {0, 3, 1, 2});
  }

  bool try_conv(const ir::Node& n) {
    if (!is_q_conv(n)) return false;
    const Tensor* w = g_.initializer(n.inputs[3]);
    if (!w || w->rank() != 4) return false;
    ir::Node c = n;
    c.op_type = "NhwcQConv";
    c.inputs[0] = need_region(n.inputs[0]);
    emit_region(std::move(c));
    return true;
  }

  bool try_pool(const ir::Node& n) {
    if (!n.domain.empty() || n.op_type != "MaxPool" || !in_region(n.inputs[0])) return false;
    if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;
    if (n.attrs_as<ops::PoolAttrs>().kernel_shape.size() != 2) return false;
    ir::Node p = n;
    p.op_type = "NhwcMaxPool";
    p.domain = "com.shrink";
    p.outputs.resize(1);
    p.inputs[0] = region_form(n.inputs[0]);
    emit_region(std::move(p));
    return true;
  }

  // Per-tensor Quantize / DequantizeLinear parameters must be rank 0 (a [1] tensor would widen the rank).
  bool scalar_constant(const std::string& v, bool rank0) const {
    return LayoutRegions::scalar_constant(v) && (!rank0 || g_.initializer(v)->rank() == 0);
  }

  bool qdq(const ir::Node& n) const { return n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear"; }

  // Whether some reader of v would take it channels-last (by op type: a guess that may miss).
  bool joinable_reader(const std::string& v) const {
    auto it = uses_.readers.find(v);
    if (it == uses_.readers.end()) return false;
    for (size_t r : it->second) {
      const ir::Node& n = nodes_[r];
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
      const bool la = in_region(a), lb = in_region(b);
      if (!((la && lb) || (!qadd && ((la && scalar_constant(b, false)) || (lb && scalar_constant(a, false))))))
        return false;
    } else if (kUnary.count(n.op_type)) {
      if (!in_region(n.inputs[0]) || !joinable_reader(n.outputs[0])) return false;
      for (size_t i = 1; i < n.inputs.size(); ++i)
        if (!n.inputs[i].empty() && !scalar_constant(n.inputs[i], qdq(n))) return false;
    } else {
      return false;
    }
    ir::Node e = n;
    for (size_t i = 0; i < e.inputs.size(); ++i)
      if (in_region(e.inputs[i])) e.inputs[i] = region_form(e.inputs[i]);
    emit_region(std::move(e));
    return true;
  }

  const GraphUses uses_;                // of the original nodes (nodes_)
  const std::vector<ir::Node> nodes_;
};

}  // namespace

ir::Graph channels_last_int8(ir::Graph g) {
  ChannelsLast(g).run();
  return g;
}

}  // namespace shrink::passes
