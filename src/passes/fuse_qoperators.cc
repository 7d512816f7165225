// Runtime mapping of the QOperator form (QLinearConv, QLinearMatMul with constant weights) and of the
// dynamic-quantization form ONNX Runtime's quantize_dynamic emits,
//   DynamicQuantizeLinear(x) -> MatMulInteger | ConvInteger(x_q, w const) -> Cast(float)
//     -> Mul(Mul(x_scale, w_scale const)) [-> Add(float bias const: [N], or [1, M, 1, ...] after ConvInteger)]
//     [-> Relu | Clip (constant bounds)]
// onto com.shrink QConv / QMatMul, so all three forms run on the same int8 kernels.
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"

namespace shrink::passes {
namespace {

bool is_f32_constant(const ir::Graph& g, const std::string& v) {
  const Tensor* t = g.initializer(v);
  return t && t->dtype() == DType::kFloat32;
}

// QLinearConv: B (int32) becomes a float bias B * x_scale * w_scale[m].
bool map_qlinear_conv(ir::Graph& g, const ir::Node& n, ir::Node& fused) {
  for (int i : {1, 4, 6})
    if (!is_f32_constant(g, n.inputs[size_t(i)])) return false;
  if (n.inputs[7].empty() || !g.initializer(n.inputs[3])) return false;
  std::string bias;
  if (n.has_input(8)) {
    const Tensor* b = g.initializer(n.inputs[8]);
    const Tensor& xs = g.initializers.at(n.inputs[1]);
    const Tensor& ws = g.initializers.at(n.inputs[4]);
    const int64_t m = g.initializers.at(n.inputs[3]).dim(0);
    if (!b || b->dtype() != DType::kInt32 || b->shape() != Shape{m} || (ws.numel() != 1 && ws.numel() != m))
      return false;
    Tensor f(DType::kFloat32, {m});
    for (int64_t c = 0; c < m; ++c)
      f.data<float>()[c] = float(double(b->data<int32_t>()[c]) * xs.data<float>()[0] *
                                 ws.data<float>()[ws.numel() == 1 ? 0 : c]);
    bias = ir::GraphBuilder(g).constant(n.inputs[8] + "_float", std::move(f));
  }
  fused = make_q_node(g, n, "QConv", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], n.inputs[4], n.inputs[5],
                                      bias, n.inputs[6], n.inputs[7]},
                      n.attrs, {}, n.outputs[0]);
  return true;
}

bool map_qlinear_matmul(const ir::Graph& g, const ir::Node& n, ir::Node& fused) {
  for (int i : {1, 4, 6})
    if (!is_f32_constant(g, n.inputs[size_t(i)])) return false;
  const Tensor* b = g.initializer(n.inputs[3]);
  if (!b || b->rank() != 2 || n.inputs[7].empty() || g.initializers.at(n.inputs[1]).numel() != 1) return false;
  const Tensor* azp = n.inputs[2].empty() ? nullptr : g.initializer(n.inputs[2]);
  if (!n.inputs[2].empty() && (!azp || azp->numel() != 1)) return false;
  fused = make_q_node(g, n, "QMatMul", {n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3], n.inputs[4], n.inputs[5],
                                        "", n.inputs[6], n.inputs[7]},
                      {}, {}, n.outputs[0]);
  return true;
}

// ConvInteger's bias, added to the NC... output as [1, M, 1, ...] (ONNX Runtime reshapes it so): as [M].
bool conv_bias(ir::Graph& g, const std::string& v, int64_t m, std::string& out) {
  const Tensor* t = g.initializer(v);
  if (!t || t->dtype() != DType::kFloat32 || t->rank() < 2 || t->numel() != m || t->dim(1) != m) return false;
  out = ir::GraphBuilder(g).constant(v + "_bias", t->reshaped({m}));
  return true;
}

// MatMulInteger / ConvInteger fed by DynamicQuantizeLinear, rescaled by Cast -> Mul(x_scale * w_scale).
bool map_dynamic(ir::Graph& g, const GraphUses& uses, const ir::Node& n, std::vector<bool>& taken, ir::Node& fused) {
  const bool conv = n.op_type == "ConvInteger";
  const ir::Node* d = uses.produced_by(g, n.inputs[0], "DynamicQuantizeLinear");
  const Tensor* w = g.initializer(n.inputs[1]);
  if (!d || !w || w->rank() < 2 || (conv && w->rank() < 3) || (!conv && w->rank() != 2)) return false;
  if (n.has_input(2) && n.inputs[2] != d->outputs[2]) return false;
  if (n.has_input(3) && !g.initializer(n.inputs[3])) return false;
  const long cast_i = uses.only_reader(n.outputs[0]);
  if (cast_i < 0 || taken[size_t(cast_i)]) return false;
  const ir::Node& cast = g.nodes[size_t(cast_i)];
  if (cast.op_type != "Cast" || !cast.domain.empty()) return false;
  auto to = cast.attrs.find("to");
  if (to == cast.attrs.end() || std::get<int64_t>(to->second) != int64_t(DType::kFloat32)) return false;
  const long mul_i = uses.only_reader(cast.outputs[0]);
  if (mul_i < 0 || taken[size_t(mul_i)]) return false;
  const ir::Node& mul = g.nodes[size_t(mul_i)];
  if (mul.op_type != "Mul" || !mul.domain.empty()) return false;
  const ir::Node* scales = uses.produced_by(g, mul.inputs[0] == cast.outputs[0] ? mul.inputs[1] : mul.inputs[0], "Mul");
  if (!scales) return false;
  const bool x_first = scales->inputs[0] == d->outputs[1];
  const std::string& ws = x_first ? scales->inputs[1] : scales->inputs[0];
  const Tensor* wst = g.initializer(ws);
  const int64_t channels = conv ? w->dim(0) : w->dim(1);
  if ((!x_first && scales->inputs[1] != d->outputs[1]) || !wst || wst->dtype() != DType::kFloat32 ||
      (wst->numel() != 1 && (conv || wst->shape() != Shape{channels})))
    return false;
  std::vector<size_t> absorbed{size_t(cast_i), size_t(mul_i)};
  std::string out = mul.outputs[0], bias;
  const long add_i = uses.only_reader(out);
  if (add_i >= 0 && !taken[size_t(add_i)] && g.nodes[size_t(add_i)].op_type == "Add" &&
      g.nodes[size_t(add_i)].domain.empty()) {
    const ir::Node& add = g.nodes[size_t(add_i)];
    const std::string other = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
    if (other != out && g.initializer(other) &&
        (conv ? conv_bias(g, other, channels, bias) : float_bias(g, uses, other, channels, bias))) {
      absorbed.push_back(size_t(add_i));
      out = add.outputs[0];
    }
  }
  // A Relu / Clip on the float result becomes the fused node's activation: the same float
  // operation on the same value, so the result is unchanged bit for bit.
  ops::QActivation act, found;
  const long act_i = uses.only_reader(out);
  if (act_i >= 0 && !taken[size_t(act_i)] && constant_activation(g, g.nodes[size_t(act_i)], found)) {
    act = found;
    absorbed.push_back(size_t(act_i));
    out = g.nodes[size_t(act_i)].outputs[0];
  }
  fused = make_q_node(g, n, conv ? "QConv" : "QMatMul",
                      {d->outputs[0], d->outputs[1], n.has_input(2) ? n.inputs[2] : "", n.inputs[1], ws, n.has_input(3) ? n.inputs[3] : "",
                       bias},
                      conv ? n.attrs : ir::AttributeMap{}, act, out);
  for (size_t k : absorbed) taken[k] = true;
  return true;
}

}  // namespace

ir::Graph fuse_qoperators(ir::Graph g) {
  GraphUses uses(g);
  std::vector<bool> taken(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (taken[i] || !n.domain.empty()) continue;
    ir::Node fused;
    bool ok = false;
    if (n.op_type == "QLinearConv") ok = map_qlinear_conv(g, n, fused);
    else if (n.op_type == "QLinearMatMul") ok = map_qlinear_matmul(g, n, fused);
    else if (n.op_type == "MatMulInteger" || n.op_type == "ConvInteger") ok = map_dynamic(g, uses, n, taken, fused);
    if (ok) g.nodes[i] = std::move(fused);
  }
  drop_nodes(g, taken);
  return g;
}

}  // namespace shrink::passes
