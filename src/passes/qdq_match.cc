// Matching helpers of the int8 fusion passes.
#include "passes/qdq_match.h"

#include <cfloat>

#include "ir/builder.h"
#include "ops/quant/quant_attrs.h"

namespace shrink::passes {
namespace {

bool is_int8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// Plain (not blocked, float32 result) DequantizeLinear / QuantizeLinear attributes.
bool plain_attrs(const ir::Node& n) {
  if (!n.typed) return false;
  if (n.op_type == "DequantizeLinear") {
    const auto& a = n.attrs_as<ops::DequantizeAttrs>();
    return a.block_size == 0 && (a.output_dtype == DType::kUndefined || a.output_dtype == DType::kFloat32);
  }
  const auto& a = n.attrs_as<ops::QuantizeAttrs>();
  return a.block_size == 0 && a.precision == DType::kUndefined;
}

}  // namespace

bool constant_activation(const ir::Graph& g, const ir::Node& n, ops::QActivation& act) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Relu") return act.activation = ops::Activation::kRelu, true;
  if (n.op_type != "Clip" || !n.attrs.empty()) return false;  // opset >= 11: bounds are inputs
  act.alpha = -FLT_MAX;
  act.beta = FLT_MAX;
  for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
    if (n.inputs[i].empty()) continue;
    const Tensor* t = g.initializer(n.inputs[i]);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
    (i == 1 ? act.alpha : act.beta) = t->data<float>()[0];
  }
  return act.activation = ops::Activation::kClip, true;
}

bool per_tensor_params(const ir::Graph& g, const ir::Node& n, QParams& p) {
  if (n.inputs.size() < 3 || n.inputs[2].empty() || !plain_attrs(n)) return false;
  const Tensor* s = g.initializer(n.inputs[1]);
  const Tensor* z = g.initializer(n.inputs[2]);
  if (!s || !z || s->numel() != 1 || z->numel() != 1 || s->dtype() != DType::kFloat32 || !is_int8(z->dtype()))
    return false;
  if (n.op_type == "QuantizeLinear") {
    const DType out = n.attrs_as<ops::QuantizeAttrs>().output_dtype;
    if (out != DType::kUndefined && out != z->dtype()) return false;
  }
  p = {n.inputs[1], n.inputs[2]};
  return true;
}

bool same_params(const ir::Graph& g, const QParams& a, const QParams& b) {
  const Tensor *sa = g.initializer(a.scale), *sb = g.initializer(b.scale);
  const Tensor *za = g.initializer(a.zp), *zb = g.initializer(b.zp);
  return sa && sb && za && zb && sa->data<float>()[0] == sb->data<float>()[0] && za->dtype() == zb->dtype() &&
         za->as_int64(0) == zb->as_int64(0);
}

bool weight_dq(const ir::Graph& g, const GraphUses& uses, const std::string& v, int64_t channel_axis, WeightDQ& out) {
  const ir::Node* dq = uses.produced_by(g, v, "DequantizeLinear");
  if (!dq || !plain_attrs(*dq)) return false;
  const Tensor* w = g.initializer(dq->inputs[0]);
  const Tensor* s = g.initializer(dq->inputs[1]);
  if (!w || !s || !is_int8(w->dtype()) || s->dtype() != DType::kFloat32) return false;
  const Tensor* z = nullptr;
  if (dq->has_input(2) && (!(z = g.initializer(dq->inputs[2])) || z->dtype() != w->dtype())) return false;
  if (s->numel() != 1) {
    int64_t axis = dq->attrs_as<ops::DequantizeAttrs>().axis;
    if (axis < 0) axis += w->rank();
    if (axis != channel_axis || s->rank() != 1 || s->numel() != w->dim(channel_axis)) return false;
  }
  if (z && z->numel() != s->numel()) return false;
  out = {dq->inputs[0], dq->inputs[1], z ? dq->inputs[2] : ""};
  return true;
}

bool float_bias(ir::Graph& g, const GraphUses& uses, const std::string& v, int64_t n, std::string& out) {
  out.clear();
  if (v.empty()) return true;
  ir::GraphBuilder b(g);
  if (const Tensor* t = g.initializer(v)) {
    if (t->dtype() != DType::kFloat32 || t->numel() != n || (t->rank() > 0 && t->dim(t->rank() - 1) != n)) return false;
    out = t->shape() == Shape{n} ? v : b.constant(v + "_bias", t->reshaped({n}));
    return true;
  }
  const ir::Node* dq = uses.produced_by(g, v, "DequantizeLinear");
  if (!dq || !plain_attrs(*dq)) return false;
  const Tensor* q = g.initializer(dq->inputs[0]);
  const Tensor* s = g.initializer(dq->inputs[1]);
  if (!q || !s || q->dtype() != DType::kInt32 || q->shape() != Shape{n} || s->dtype() != DType::kFloat32) return false;
  if (s->numel() != 1 && s->numel() != n) return false;
  if (dq->has_input(2)) {
    const Tensor* z = g.initializer(dq->inputs[2]);
    if (!z) return false;
    for (int64_t i = 0; i < z->numel(); ++i)
      if (z->as_int64(i) != 0) return false;
  }
  Tensor f(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i)
    f.data<float>()[i] = float(q->data<int32_t>()[i]) * s->data<float>()[s->numel() == 1 ? 0 : i];
  out = b.constant(v + "_float", std::move(f));
  return true;
}

Tail match_tail(const ir::Graph& g, const GraphUses& uses, const std::string& start, const std::vector<bool>& taken) {
  Tail t;
  t.out = start;
  long next = uses.only_reader(t.out);
  if (next >= 0 && !taken[size_t(next)] && constant_activation(g, g.nodes[size_t(next)], t.act)) {
    t.absorbed.push_back(size_t(next));
    t.out = g.nodes[size_t(next)].outputs[0];
    next = uses.only_reader(t.out);
  }
  QParams y;
  if (next >= 0 && !taken[size_t(next)]) {
    const ir::Node& q = g.nodes[size_t(next)];
    if (q.domain.empty() && q.op_type == "QuantizeLinear" && q.inputs[0] == t.out && per_tensor_params(g, q, y)) {
      t.absorbed.push_back(size_t(next));
      t.out = q.outputs[0];
      t.y_scale = y.scale;
      t.y_zp = y.zp;
    }
  }
  return t;
}

ir::Node make_q_node(const ir::Graph& g, const ir::Node& base, const char* op_type, std::vector<std::string> inputs,
                     ir::AttributeMap attrs, const ops::QActivation& act, const std::string& out) {
  ir::Node n;
  n.name = base.name;
  n.domain = "com.shrink";
  n.op_type = op_type;
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  n.inputs = std::move(inputs);
  n.outputs = {out};
  n.attrs = std::move(attrs);
  n.attrs["activation"] = std::string(ops::activation_name(act.activation));
  n.attrs["alpha"] = act.alpha;
  n.attrs["beta"] = act.beta;
  ops::bind(n, g.opset());
  return n;
}

}  // namespace shrink::passes
