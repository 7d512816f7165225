// Gemm's typed attributes: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose.
// Read by the reference kernel (gemm.cc) and by the oneDNN matmul/inner-product kernels.
#pragma once
#include "ir/attribute.h"

namespace shrink::ops {

struct GemmAttrs : ir::OpAttrs {
  float alpha = 1.f;
  float beta = 1.f;
  bool trans_a = false;
  bool trans_b = false;
};

}  // namespace shrink::ops
