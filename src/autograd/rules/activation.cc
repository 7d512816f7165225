// Gradient rules of the unary activations (one com.shrink ActivationGrad node each, which
// recomputes what it needs from X) and of Softmax / LogSoftmax.
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {

// ActivationGrad(dY, X[, min, max]) with the forward op's name and attributes (alpha, beta,
// approximate) carried over.
std::vector<std::string> activation(GradContext& c) {
  ir::AttributeMap attrs = c.forward_attrs({"alpha", "beta", "approximate"});
  attrs["activation"] = c.node.op_type;
  std::vector<std::string> inputs = {c.dy[0], c.x(0)};
  std::vector<std::string> g(c.node.inputs.size());
  if (c.node.op_type == "Clip") {
    if (c.node.attrs.count("min") || c.node.attrs.count("max")) c.unsupported("Clip with min/max attributes (opset < 11)");
    for (size_t i = 1; i < c.node.inputs.size(); ++i) {
      if (c.needs[i]) c.unsupported("gradients of Clip's bounds");
      inputs.push_back(c.x(i));
    }
  }
  g[0] = c.grad_op("ActivationGrad", inputs, attrs);
  return g;
}

namespace {

// Softmax and LogSoftmax before opset 13 flatten to 2-D around `axis`; the rules below use the
// per-axis form, which agrees when the axis is the last one.
int64_t softmax_axis(GradContext& c) {
  auto it = c.node.attrs.find("axis");
  int64_t axis = it == c.node.attrs.end() ? (c.opset() >= 13 ? -1 : 1) : std::get<int64_t>(it->second);
  int64_t r = int64_t(c.rank(0));
  if (axis < 0) axis += r;
  if (c.opset() < 13 && axis != r - 1) c.unsupported("opset < 13 softmax over a non-last axis");
  return axis;
}

}  // namespace

std::vector<std::string> softmax(GradContext& c) {
  return {c.grad_op("SoftmaxGrad", {c.dy[0], c.y(0)}, {{"axis", softmax_axis(c)}})};
}

std::vector<std::string> log_softmax(GradContext& c) {
  return {c.grad_op("LogSoftmaxGrad", {c.dy[0], c.y(0)}, {{"axis", softmax_axis(c)}})};
}

}  // namespace shrink::autograd::rules
