// Gradient rules of the training-only ops: seeded dropout, the fused softmax cross-entropy loss,
// and inference-mode Dropout (an identity).
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {

std::vector<std::string> train_dropout(GradContext& c) {
  return {c.grad_op("DropoutGrad", {c.dy[0], c.y(1)}, c.forward_attrs({"ratio"})), ""};
}

std::vector<std::string> softmax_cross_entropy(GradContext& c) {
  return {c.grad_op("SoftmaxCrossEntropyGrad", {c.dy[0], c.x(0), c.x(1)},
                    c.forward_attrs({"label_smoothing", "ignore_index"})),
          ""};
}

// Dropout left in inference form (ratio input absent or training_mode false): y = x.
std::vector<std::string> dropout(GradContext& c) {
  std::vector<std::string> g(c.node.inputs.size());
  g[0] = c.dy[0];
  return g;
}

}  // namespace shrink::autograd::rules
