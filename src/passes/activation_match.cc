// Recognizing the activations that fused convolutions and matrix products apply as post-ops.
#include "passes/activation_match.h"

#include <cfloat>

namespace shrink::passes {

bool as_activation(const ir::Graph& g, const ir::Node& n, ops::Activation& act, float& alpha, float& beta) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Relu") return act = ops::Activation::kRelu, true;
  if (n.op_type == "Sigmoid") return act = ops::Activation::kSigmoid, true;
  if (n.op_type == "HardSwish") return act = ops::Activation::kHardSwish, true;
  if (n.op_type == "Gelu") {  // the exact form only (fuse_gelu makes these from Erf chains)
    auto it = n.attrs.find("approximate");
    if (it != n.attrs.end() && std::get<std::string>(it->second) != "none") return false;
    return act = ops::Activation::kGelu, true;
  }
  if (n.op_type == "LeakyRelu") {
    auto it = n.attrs.find("alpha");
    alpha = it == n.attrs.end() ? 0.01f : std::get<float>(it->second);
    return act = ops::Activation::kLeakyRelu, true;
  }
  if (n.op_type == "Clip" && n.attrs.empty()) {  // opset >= 11: bounds are inputs
    alpha = -FLT_MAX;
    beta = FLT_MAX;
    for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
      if (n.inputs[i].empty()) continue;
      const Tensor* t = g.initializer(n.inputs[i]);
      if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
      (i == 1 ? alpha : beta) = t->data<float>()[0];
    }
    return act = ops::Activation::kClip, true;
  }
  return false;
}

}  // namespace shrink::passes
