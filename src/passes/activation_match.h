// The activation a node computes, in the form the fused ops (com.shrink FusedConv, FusedMatMul)
// apply as a post-op: Relu, Sigmoid, HardSwish, LeakyRelu, Gelu (exact form), and Clip with constant
// scalar bounds.
#pragma once
#include "ir/graph.h"
#include "ops/internal/fused_conv.h"

namespace shrink::passes {

// True (filling act/alpha/beta) when n is one of those activations and can be fused.
bool as_activation(const ir::Graph& g, const ir::Node& n, ops::Activation& act, float& alpha, float& beta);

}  // namespace shrink::passes
