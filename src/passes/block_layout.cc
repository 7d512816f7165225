// block_layout: keeps activations in oneDNN's channel-blocked layout (ops/internal/blocked_layout.h)
// across regions of convolutions, pools and elementwise ops, so that no reorder runs between them;
// ToBlocked / FromBlocked are placed only at the borders of a region. The same idea as ONNX
// Runtime's NCHWc transformer. Conditions for a node to join a region:
//   Conv / FusedConv: 2-D, constant float weights, output channels a multiple of the block, groups
//     whose channel counts the blocked kernels take (1, depthwise, or multiples of the block). Its
//     input joins blocked when available or when its channels are a multiple of the block (else it
//     stays plain: a 3-channel image goes straight into the first convolution).
//   MaxPool / AveragePool: 2-D, no Indices output, blocked input.
//   Elementwise unary ops: blocked input (extra inputs such as Clip's bounds must be scalars).
//   Add / Sub / Mul / Div: both inputs blocked, or one blocked and the other a one-element constant
//     (blocked tensors of the same logical channels broadcast like their plain forms).
//   Concat along channels: all inputs blocked.
// A blocked value keeps its plain name for a FromBlocked placed just before its first plain reader.
#include <set>

#include "ops/internal/blocked_layout.h"
#include "ops/internal/fused_conv.h"
#include "ops/nn/pool.h"
#include "ops/shape/shape_attrs.h"
#include "passes/layout_regions.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

const std::set<std::string> kUnary = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
                                      "Gelu", "Erf", "Exp", "Neg", "Abs", "Sqrt", "Identity", "Elu", "Softplus"};
const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div"};

class Blocker final : public LayoutRegions {
 public:
  Blocker(ir::Graph& g, int64_t block) : LayoutRegions(g, "#blocked"), block_(block) {}

 private:
  bool try_join(const ir::Node& n) override {
    if (!n.domain.empty() && n.domain != "com.shrink") return false;
    return try_conv(n) || try_pool(n) || try_elementwise(n) || try_concat(n);
  }

  ir::Node to_region(const std::string& plain, const std::string& region) const override {
    ir::Node n;
    n.name = plain + "/to_blocked";
    n.op_type = "ToBlocked";
    n.domain = "com.shrink";
    n.inputs = {plain};
    n.outputs = {region};
    n.attrs["block"] = block_;
    return n;
  }

  ir::Node to_plain(const std::string& region, const std::string& plain) const override {
    ir::Node n;
    n.name = plain + "/from_blocked";
    n.op_type = "FromBlocked";
    n.domain = "com.shrink";
    n.inputs = {region};
    n.outputs = {plain};
    return n;
  }

  bool try_conv(const ir::Node& n) {
    const bool fused = n.domain == "com.shrink" && n.op_type == "FusedConv";
    if (!(fused || (n.domain.empty() && n.op_type == "Conv")) || n.outputs.size() != 1) return false;
    const Tensor* w = g_.initializer(n.inputs[1]);
    if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4) return false;
    const auto& a = n.attrs_as<ops::ConvAttrs>();
    const int64_t m = w->dim(0), g = a.group, c = w->dim(1) * g;
    const bool depthwise = g == c && g == m;
    if (m % block_ || !(g == 1 || depthwise || ((c / g) % block_ == 0 && (m / g) % block_ == 0))) return false;
    // A residual joins only when blocked already (its shape is then a convolution's or a pool's
    // output, which a plain value's need not be: it could broadcast).
    if (n.inputs.size() > 3 && !n.inputs[3].empty() && !in_region(n.inputs[3])) return false;
    ir::Node b = n;
    b.op_type = "BlockedFusedConv";
    b.domain = "com.shrink";
    b.typed = nullptr;
    if (!fused) {
      b.attrs["activation"] = std::string("none");
      b.attrs["alpha"] = 0.f;
      b.attrs["beta"] = 0.f;
    }
    b.attrs["block"] = block_;
    if (in_region(n.inputs[0]) || c % block_ == 0) b.inputs[0] = need_region(n.inputs[0]);
    else need_plain(n.inputs[0]);
    if (b.inputs.size() > 3 && !b.inputs[3].empty()) b.inputs[3] = region_form(b.inputs[3]);
    emit_region(std::move(b));
    return true;
  }

  bool try_pool(const ir::Node& n) {
    if (!n.domain.empty() || (n.op_type != "MaxPool" && n.op_type != "AveragePool")) return false;
    if (!in_region(n.inputs[0]) || (n.outputs.size() > 1 && !n.outputs[1].empty())) return false;
    if (n.attrs_as<ops::PoolAttrs>().kernel_shape.size() != 2) return false;
    ir::Node b = n;
    b.op_type = "Blocked" + n.op_type;
    b.domain = "com.shrink";
    b.typed = nullptr;
    b.outputs.resize(1);
    b.attrs["block"] = block_;
    b.inputs[0] = region_form(n.inputs[0]);
    emit_region(std::move(b));
    return true;
  }

  bool try_elementwise(const ir::Node& n) {
    if (!n.domain.empty() || n.outputs.size() != 1) return false;
    if (kUnary.count(n.op_type)) {
      if (!in_region(n.inputs[0])) return false;
      for (size_t i = 1; i < n.inputs.size(); ++i)
        if (!n.inputs[i].empty() && !scalar_constant(n.inputs[i])) return false;
    } else if (kBinary.count(n.op_type)) {
      const bool b0 = in_region(n.inputs[0]), b1 = in_region(n.inputs[1]);
      if (!((b0 && b1) || (b0 && scalar_constant(n.inputs[1])) || (b1 && scalar_constant(n.inputs[0])))) return false;
    } else {
      return false;
    }
    ir::Node b = n;
    for (auto& in : b.inputs)
      if (in_region(in)) in = region_form(in);
    emit_region(std::move(b));
    return true;
  }

  bool try_concat(const ir::Node& n) {
    if (!n.domain.empty() || n.op_type != "Concat" || n.outputs.size() != 1) return false;
    const int64_t axis = n.attrs_as<ops::ConcatAttrs>().axis;
    if (axis != 1 && axis != -3) return false;  // channels of a rank-4 tensor
    for (const auto& in : n.inputs)
      if (!in_region(in)) return false;
    ir::Node b = n;
    b.typed = nullptr;
    for (auto& in : b.inputs) in = region_form(in);
    b.attrs["axis"] = int64_t(1);
    emit_region(std::move(b));
    return true;
  }

  const int64_t block_;
};

}  // namespace

ir::Graph block_layout(ir::Graph g, int64_t block) {
  if (block <= 1) return g;
  Blocker(g, block).run();
  return g;
}

}  // namespace shrink::passes
