// GELU, exact (erf) form, y = 0.5 x (1 + erf(x / sqrt 2)), vectorized for the fused epilogues and
// the fast Gelu kernel: erfc(|x| / sqrt 2) from Abramowitz & Stegun 7.1.26 (absolute error below
// 1.5e-7, the approximation oneDNN's gelu_erf uses) times an AVX2 exp, so y's absolute error stays
// below 2e-7 * max(1, |x|) (tests/passes_fuse_gelu_test.cc). The reference Gelu kernel
// (ops/unary/activation.cc) evaluates erf in double.
#pragma once
#include <cstdint>

namespace shrink::ops {

void gelu_erf_inplace(float* x, int64_t n);
void gelu_erf(const float* x, float* y, int64_t n);

}  // namespace shrink::ops
