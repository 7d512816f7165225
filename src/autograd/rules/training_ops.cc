// Gradient rules of the training-only ops: seeded dropout, the fused softmax cross-entropy loss,
// and inference-mode Dropout (an identity).
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {

std::vector<std::string> train_dropout(GradContext& c) {
  ir::AttributeMap attrs;
  if (auto it = c.node.attrs.find("ratio"); it != c.node.attrs.end()) attrs["ratio"] = it->second;
  return {c.grad_op("DropoutGrad", {c.dy[0], c.y(1)}, attrs), ""};
}

std::vector<std::string> softmax_cross_entropy(GradContext& c) {
  ir::AttributeMap attrs;
  for (const char* key : {"label_smoothing", "ignore_index"})
    if (auto it = c.node.attrs.find(key); it != c.node.attrs.end()) attrs[key] = it->second;
  return {c.grad_op("SoftmaxCrossEntropyGrad", {c.dy[0], c.x(0), c.x(1)}, attrs), ""};
}

// Dropout left in inference form (ratio input absent or training_mode false): y = x.
std::vector<std::string> dropout(GradContext& c) {
  std::vector<std::string> g(c.node.inputs.size());
  g[0] = c.dy[0];
  return g;
}

}  // namespace shrink::autograd::rules
