// add_backward: walks the forward nodes in reverse, calls each one's gradient rule with the
// summed gradients of its outputs, and collects the gradients of its inputs.
#include "autograd/backward.h"

#include <map>
#include <set>

#include "autograd/grad_context.h"

namespace shrink::autograd {
namespace {

class Accumulator {
 public:
  explicit Accumulator(ir::Graph& g) : g_(g) {}
  void add(const std::string& value, const std::string& grad) { parts_[value].push_back(grad); }
  // The summed gradient of `value` ("" when nothing flowed back to it).
  std::string total(const std::string& value) {
    auto it = parts_.find(value);
    if (it == parts_.end() || it->second.empty()) return "";
    std::vector<std::string>& p = it->second;
    if (p.size() > 1) {
      ir::GraphBuilder b(g_);
      std::string sum = b.op("Sum", p, {}, value + "_grad_sum");
      ops::bind(g_.nodes.back(), g_.opset());
      p = {sum};
    }
    return p[0];
  }

 private:
  ir::Graph& g_;
  std::map<std::string, std::vector<std::string>> parts_;
};

}  // namespace

std::vector<std::string> add_backward(ir::Graph& g, const std::string& loss, const std::vector<std::string>& wrt,
                                      const ExampleMetas& metas) {
  const ops::ValueMeta& lm = metas.at(loss);
  SHRINK_CHECK(is_float(lm.dtype) && checked_numel(lm.shape) == 1, "loss '", loss,
               "' must be a floating-point scalar, got ", dtype_name(lm.dtype), " ", shape_str(lm.shape));

  // Values that depend on a `wrt` input through floating-point data.
  std::set<std::string> requires_grad(wrt.begin(), wrt.end());
  for (const ir::Node& n : g.nodes) {
    bool any = false;
    for (const auto& v : n.inputs) any = any || requires_grad.count(v);
    if (!any) continue;
    for (const auto& v : n.outputs)
      if (!v.empty() && is_float(metas.at(v).dtype)) requires_grad.insert(v);
  }

  Accumulator acc(g);
  {
    ir::GraphBuilder b(g);
    Tensor one(lm.dtype, lm.shape);
    if (lm.dtype == DType::kFloat64) *one.data<double>() = 1.0;
    else if (lm.dtype == DType::kFloat32) *one.data<float>() = 1.f;
    else fail_input("loss '", loss, "' must be float32 or float64");
    acc.add(loss, b.constant(loss + "_grad_seed", std::move(one)));
  }

  const size_t n_forward = g.nodes.size();
  for (size_t k = n_forward; k-- > 0;) {
    const ir::Node node = g.nodes[k];  // a copy: emitting nodes reallocates g.nodes
    std::vector<std::string> dy;
    bool any_dy = false;
    for (const auto& v : node.outputs) {
      dy.push_back(v.empty() ? "" : acc.total(v));
      any_dy = any_dy || !dy.back().empty();
    }
    if (!any_dy) continue;
    std::vector<bool> needs;
    bool any_need = false;
    for (const auto& v : node.inputs) {
      needs.push_back(!v.empty() && requires_grad.count(v) > 0);
      any_need = any_need || needs.back();
    }
    if (!any_need) continue;
    GradRule rule = find_grad_rule(node.domain, node.op_type);
    if (!rule) fail_input(node.label(), " has no gradient rule, and the loss depends on it through a trained value");
    std::vector<ops::ValueMeta> in, out;
    for (const auto& v : node.inputs) in.push_back(v.empty() ? ops::ValueMeta{} : metas.at(v));
    for (const auto& v : node.outputs) out.push_back(v.empty() ? ops::ValueMeta{} : metas.at(v));
    GradContext ctx(g, node, std::move(in), std::move(out), std::move(dy), std::move(needs));
    std::vector<std::string> grads = rule(ctx);
    SHRINK_ASSERT(grads.size() == node.inputs.size(), node.label(), " gradient rule returned ", grads.size(),
                  " gradients for ", node.inputs.size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i)
      if (ctx.needs[i] && !grads[i].empty()) acc.add(node.inputs[i], grads[i]);
  }

  std::vector<std::string> result;
  ir::GraphBuilder b(g);
  for (const auto& w : wrt) {
    std::string total = acc.total(w);
    if (total.empty()) {
      result.emplace_back();
      continue;
    }
    std::string name = g.fresh_name(w + ".grad");
    ir::Node id;
    id.name = name;
    id.op_type = "Identity";
    id.inputs = {total};
    id.outputs = {name};
    g.nodes.push_back(id);
    ops::bind(g.nodes.back(), g.opset());
    const ops::ValueMeta& m = metas.at(w);
    ir::ValueInfo vi{name, m.dtype, std::vector<ir::Dim>{}};
    for (int64_t d : m.shape) vi.dims->push_back(ir::Dim{d});
    g.outputs.push_back(vi);
    result.push_back(name);
  }
  return result;
}

}  // namespace shrink::autograd
