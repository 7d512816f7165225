// com.shrink FusedConv: y = act(Conv(x, w, b) + residual), made by the runtime's fusion pass so that
// one oneDNN primitive computes Conv, a residual Add and the activation in one pass over memory.
// Inputs: X, W, B (optional), Residual (optional, the Conv output's shape). Never exported.
#pragma once
#include "ops/nn/conv.h"

namespace shrink::ops {

// kGelu: the exact (erf) form.
enum class Activation { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kHardSwish, kGelu };

struct FusedConvAttrs : ConvAttrs {
  Activation activation = Activation::kNone;
  float alpha = 0.f;  // LeakyRelu slope; Clip min
  float beta = 0.f;   // Clip max
};

// Reads the "activation", "alpha" and "beta" attributes (FusedConv, QConv, QMatMul).
void parse_activation(const ir::Node& node, AttrReader& r, Activation& act, float& alpha, float& beta);
// Names used in the node's "activation" attribute.
const char* activation_name(Activation a);
// Applies the activation to n values in place.
void apply_activation(Activation a, float alpha, float beta, float* x, int64_t n);

}  // namespace shrink::ops
