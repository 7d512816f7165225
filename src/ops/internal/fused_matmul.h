// com.shrink FusedMatMul: y = act(MatMul(a, w) + bias + residual), made by the runtime's fusion pass
// (passes/fuse_matmul.cc) from a MatMul with a constant 2-D weight, the bias Add that follows it (a
// constant of N elements), a residual Add and an activation, so that one BLAS / oneDNN call writes
// the finished result. Inputs: A [..., K], W [K, N] (constant), Bias [N] (optional), Residual
// (optional, broadcasting to the product). Never exported.
#pragma once
#include "ops/internal/fused_conv.h"

namespace shrink::ops {

struct FusedMatMulAttrs : ir::OpAttrs {
  Activation activation = Activation::kNone;
  float alpha = 0.f, beta = 0.f;
};

}  // namespace shrink::ops
