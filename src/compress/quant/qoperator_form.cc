// The QOperator form of a static QDQ graph (ONNX Runtime's QuantFormat.QOperator, standard ONNX only):
//   DQ(x) + DQ(W const) [+ float bias B] -> Conv [-> Relu | Clip] -> Q(y)
//     => QLinearConv(x_q, .., W_q, .., y_scale, y_zp, B_int32 = round(B / (x_scale * W_scale)))
//   DQ(a) + DQ(W const | b activation) -> MatMul [-> Relu | Clip] -> Q(y)  =>  QLinearMatMul
//   DQ(x) -> MaxPool | Reshape | Flatten | Transpose | Squeeze | Unsqueeze -> Q(same parameters)
//     => the op on the int8 values
// The Relu / Clip goes only where the output's quantized range lies inside it (a Relu output's
// zero point is the type's minimum), so saturation does its work exactly. Each tensor has one
// QuantizeLinear shared by its readers, so consecutive QLinear ops pass int8 directly; the
// DequantizeLinear nodes left are those a float consumer reads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "compress/quant/quant_graph.h"
#include "core/error.h"
#include "ir/builder.h"
#include "passes/qdq_match.h"

namespace shrink::compress {
namespace {

constexpr const char* kInt8Movers[] = {"MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze"};

struct Activation {
  std::string x, scale, zp;
};

// v = DequantizeLinear(x_q, scale, zp) with per-tensor constant parameters.
bool dequantized(const ir::Graph& g, const passes::GraphUses& uses, const std::string& v, Activation& a) {
  const ir::Node* dq = uses.produced_by(g, v, "DequantizeLinear");
  passes::QParams p;
  if (!dq || !passes::per_tensor_params(g, *dq, p)) return false;
  a = {dq->inputs[0], p.scale, p.zp};
  return true;
}

// The float values the ends of the quantized type stand for.
void quantized_range(const ir::Graph& g, const passes::QParams& p, double& lo, double& hi) {
  const Tensor& z = g.initializers.at(p.zp);
  const double s = g.initializers.at(p.scale).data<float>()[0], zp = double(z.as_int64(0));
  const bool u8 = z.dtype() == DType::kUInt8;
  lo = ((u8 ? 0 : -128) - zp) * s;
  hi = ((u8 ? 255 : 127) - zp) * s;
}

// Relu / Clip whose work saturation to the output's quantized range does.
bool implied_by_range(const ir::Graph& g, const ir::Node& act, const passes::QParams& out) {
  if (!act.domain.empty() || act.inputs.empty()) return false;
  double lo, hi;
  quantized_range(g, out, lo, hi);
  if (act.op_type == "Relu") return lo >= 0;
  if (act.op_type != "Clip" || !act.attrs.empty()) return false;
  double bounds[2] = {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  for (size_t i = 1; i < act.inputs.size() && i < 3; ++i) {
    if (act.inputs[i].empty()) continue;
    const Tensor* t = g.initializer(act.inputs[i]);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
    bounds[i - 1] = t->data<float>()[0];
  }
  return lo >= bounds[0] && hi <= bounds[1];
}

// The QuantizeLinear ending the chain that starts at node n's output (through an implied Relu / Clip).
struct Tail {
  std::vector<size_t> absorbed;  // the activation and the QuantizeLinear
  std::string y_scale, y_zp, out;
  std::string float_output;  // the float value quantized, when it is also a graph output
};
bool quantized_tail(const ir::Graph& g, const passes::GraphUses& uses, const std::vector<bool>& taken,
                    const std::string& start, Tail& t) {
  std::string v = start;
  long next = uses.only_reader(v);
  size_t act = SIZE_MAX;
  if (next >= 0 && !taken[size_t(next)] &&
      (g.nodes[size_t(next)].op_type == "Relu" || g.nodes[size_t(next)].op_type == "Clip")) {
    act = size_t(next);
    v = g.nodes[act].outputs[0];
    next = uses.only_reader(v);
  }
  if (next >= 0 && taken[size_t(next)]) return false;
  if (next < 0 && uses.graph_outputs.count(v)) {  // also read by the graph's outputs (the logits)
    auto r = uses.readers.find(v);
    if (r == uses.readers.end() || r->second.size() != 1 || taken[r->second[0]]) return false;
    next = long(r->second[0]);
    t.float_output = v;
  }
  if (next < 0) return false;
  const ir::Node& q = g.nodes[size_t(next)];
  passes::QParams p;
  if (!q.domain.empty() || q.op_type != "QuantizeLinear" || !passes::per_tensor_params(g, q, p)) return false;
  if (act != SIZE_MAX) {
    if (!implied_by_range(g, g.nodes[act], p)) return false;
    t.absorbed.push_back(act);
  }
  t.absorbed.push_back(size_t(next));
  t.y_scale = p.scale;
  t.y_zp = p.zp;
  t.out = q.outputs[0];
  return true;
}

// B / (x_scale * w_scale[m]) rounded to int32 (saturated), zero point 0.
Tensor int32_bias(const Tensor& b, float x_scale, const Tensor& w_scale) {
  Tensor q(DType::kInt32, {b.numel()});
  for (int64_t m = 0; m < b.numel(); ++m) {
    const double s = double(x_scale) * w_scale.data<float>()[w_scale.numel() == 1 ? 0 : m];
    const double v = std::nearbyint(double(b.data<float>()[m]) / s);
    q.data<int32_t>()[m] = int32_t(std::clamp(v, -2147483648.0, 2147483647.0));
  }
  return q;
}

bool to_qlinear(ir::Graph& g, const passes::GraphUses& uses, size_t i, std::vector<bool>& taken, ir::Node& out) {
  const ir::Node& n = g.nodes[i];
  const bool conv = n.op_type == "Conv";
  if (!n.domain.empty() || (!conv && n.op_type != "MatMul") || n.inputs.size() < 2 || n.outputs.size() != 1)
    return false;
  Activation x;
  if (!dequantized(g, uses, n.inputs[0], x)) return false;
  std::vector<std::string> b;  // the second operand: quantized value, scale, zero point
  passes::WeightDQ w;
  Activation other;
  const Tensor* wt = nullptr;
  if (passes::weight_dq(g, uses, n.inputs[1], conv ? 0 : 1, w) && !w.zp.empty()) {
    wt = &g.initializers.at(w.w);
    if (conv ? wt->rank() < 3 : wt->rank() != 2) return false;
    b = {w.w, w.scale, w.zp};
  } else if (!conv && dequantized(g, uses, n.inputs[1], other)) {
    b = {other.x, other.scale, other.zp};
  } else {
    return false;
  }
  Tail t;
  if (!quantized_tail(g, uses, taken, n.outputs[0], t)) return false;
  std::string bias;
  if (conv && n.has_input(2)) {
    const Tensor* f = g.initializer(n.inputs[2]);
    if (!f || f->dtype() != DType::kFloat32 || f->shape() != Shape{wt->dim(0)}) return false;
    bias = ir::GraphBuilder(g).constant(
        n.inputs[2] + "_quantized",
        int32_bias(*f, g.initializers.at(x.scale).data<float>()[0], g.initializers.at(w.scale)));
  }
  out.op_type = conv ? "QLinearConv" : "QLinearMatMul";
  out.name = n.name;
  out.inputs = {x.x, x.scale, x.zp, b[0], b[1], b[2], t.y_scale, t.y_zp};
  if (!bias.empty()) out.inputs.push_back(bias);
  out.outputs = {t.out};
  if (conv) out.attrs = n.attrs;
  for (size_t k : t.absorbed) taken[k] = true;
  if (!t.float_output.empty()) {  // n is no longer used: the graph output comes back through Dequantize
    ir::GraphBuilder(g).op("DequantizeLinear", {t.out, t.y_scale, t.y_zp}, {}, t.float_output + "_DequantizeLinear");
    g.nodes.back().outputs[0] = t.float_output;
  }
  return true;
}

// DQ -> mover -> Q with equal parameters: the mover reads the int8 input and writes Q's output.
bool int8_mover(const ir::Graph& g, const passes::GraphUses& uses, ir::Node& n, std::vector<bool>& taken) {
  bool mover = false;
  for (const char* op : kInt8Movers) mover |= n.op_type == op;
  if (!mover || !n.domain.empty() || n.outputs.size() != 1 || (n.op_type == "MaxPool" && g.opset() < 12)) return false;
  const ir::Node* dq = uses.produced_by(g, n.inputs[0], "DequantizeLinear");
  passes::QParams in, out;
  if (!dq || !passes::per_tensor_params(g, *dq, in)) return false;
  const long next = uses.only_reader(n.outputs[0]);
  if (next < 0 || taken[size_t(next)]) return false;
  const ir::Node& q = g.nodes[size_t(next)];
  if (!q.domain.empty() || q.op_type != "QuantizeLinear" || !passes::per_tensor_params(g, q, out) ||
      !passes::same_params(g, in, out))
    return false;
  n.inputs[0] = dq->inputs[0];
  n.outputs[0] = q.outputs[0];
  taken[size_t(next)] = true;
  return true;
}

}  // namespace

int64_t to_qoperator_form(ir::Graph& g) {
  const passes::GraphUses uses(g);
  std::vector<bool> taken(g.nodes.size(), false);
  int64_t converted = 0;
  for (size_t i = 0; i < taken.size(); ++i) {
    if (taken[i]) continue;
    ir::Node q;
    if (to_qlinear(g, uses, i, taken, q)) {
      g.nodes[i] = std::move(q);
      ++converted;
    } else {
      int8_mover(g, uses, g.nodes[i], taken);
    }
  }
  finish_graph(g, taken);
  return converted;
}

}  // namespace shrink::compress
