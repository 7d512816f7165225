// Gradient rules of pooling and normalization, on com.shrink gradient ops that recompute the
// statistics (batch mean/variance, per-row mean/inverse std, window argmax) from X.
#include "autograd/rules/rules.h"
#include "ops/nn/batch_norm.h"

namespace shrink::autograd::rules {
std::vector<std::string> max_pool(GradContext& c) {
  if (c.node.outputs.size() > 1 && !c.dy.empty() && c.dy.size() > 1 && !c.dy[1].empty())
    c.unsupported("a gradient through MaxPool's Indices");
  return {c.grad_op("MaxPoolGrad", {c.dy[0], c.x(0)},
                    c.forward_attrs({"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode",
                                     "storage_order"}))};
}

std::vector<std::string> average_pool(GradContext& c) {
  return {c.grad_op("AveragePoolGrad", {c.dy[0], c.x(0)},
                    c.forward_attrs({"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode",
                                     "count_include_pad"}))};
}

std::vector<std::string> global_average_pool(GradContext& c) {
  return {c.grad_op("GlobalAveragePoolGrad", {c.dy[0], c.x(0)})};
}

// Training-mode BatchNormalization (inputs X, scale, B, running mean, running var): the
// running statistics are state, not parameters, and get no gradient.
std::vector<std::string> batch_norm(GradContext& c) {
  if (!c.node.attrs_as<ops::BatchNormAttrs>().training_mode)
    c.unsupported("BatchNormalization in inference mode (freeze its parameters, or train it in training mode)");
  std::vector<std::string> g(5);
  auto outs = c.emit_n("BatchNormTrainGrad", {c.dy[0], c.x(0), c.x(1)}, c.forward_attrs({"epsilon"}), 3,
                       kShrinkDomain);
  for (size_t i = 0; i < 3; ++i)
    if (c.needs[i]) g[i] = outs[i];
  return g;
}

std::vector<std::string> layer_norm(GradContext& c) {
  if (c.node.outputs.size() > 1)
    for (size_t i = 1; i < c.dy.size(); ++i)
      if (!c.dy[i].empty()) c.unsupported("gradients through LayerNormalization's Mean / InvStdDev outputs");
  const bool bias = c.node.has_input(2);
  std::vector<std::string> g(c.node.inputs.size());
  auto outs = c.emit_n("LayerNormGrad", {c.dy[0], c.x(0), c.x(1)}, c.forward_attrs({"axis", "epsilon"}),
                       bias ? 3 : 2, kShrinkDomain);
  for (size_t i = 0; i < g.size(); ++i)
    if (c.needs[i]) g[i] = outs[i];
  // dbias comes out in scale's shape; a bias that broadcasts differently gets it summed down.
  if (bias && c.needs[2] && c.in[2].shape != c.in[1].shape) g[2] = c.grad_op("SumToShape", {outs[2], c.x(2)});
  return g;
}

}  // namespace shrink::autograd::rules
