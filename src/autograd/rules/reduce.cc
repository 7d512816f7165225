// Gradient rules of ReduceSum / ReduceMean: the gradient is broadcast back over the reduced axes
// (ReduceGrad), with the axes resolved here from the attribute or the constant axes input.
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {
namespace {

std::vector<std::string> reduce(GradContext& c, bool mean) {
  std::vector<int64_t> axes;
  auto it = c.node.attrs.find("axes");
  if (it != c.node.attrs.end()) {
    axes = std::get<std::vector<int64_t>>(it->second);
  } else if (c.node.has_input(1)) {
    if (!c.in[1].value) c.unsupported("reduction axes computed at run time");
    axes = c.in[1].value->to_int64_vector();
  }
  int64_t keepdims = 1, noop = 0;
  if (auto k = c.node.attrs.find("keepdims"); k != c.node.attrs.end()) keepdims = std::get<int64_t>(k->second);
  if (auto k = c.node.attrs.find("noop_with_empty_axes"); k != c.node.attrs.end()) noop = std::get<int64_t>(k->second);
  std::vector<std::string> g(c.node.inputs.size());
  if (axes.empty() && noop) {
    g[0] = c.dy[0];
    return g;
  }
  g[0] = c.grad_op("ReduceGrad", {c.dy[0], c.x(0)},
                   {{"axes", axes}, {"keepdims", keepdims}, {"mean", int64_t(mean)}});
  return g;
}

}  // namespace

std::vector<std::string> reduce_sum(GradContext& c) { return reduce(c, false); }
std::vector<std::string> reduce_mean(GradContext& c) { return reduce(c, true); }

}  // namespace shrink::autograd::rules
