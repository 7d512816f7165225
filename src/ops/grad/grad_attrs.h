// Typed attributes of the com.shrink gradient, loss and training-mode ops (ops/grad/), which the
// autodiff (src/autograd) emits. SoftmaxGrad/LogSoftmaxGrad reuse SoftmaxAttrs, GatherGrad reuses
// GatherAttrs and ConcatGrad ConcatAttrs. Also the counter-based dropout mask, so other layers can
// reproduce a TrainDropout mask from (seed, step) alone.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/attribute.h"

namespace shrink::ops {

inline constexpr const char* kGradDomain = "com.shrink";

// ActivationGrad's `activation`: the forward op whose derivative is applied. Gelu with
// approximate="tanh" is its own kind, so kernels never look at strings.
enum class GradActivation {
  kRelu, kLeakyRelu, kSigmoid, kTanh, kGelu, kGeluTanh, kErf, kHardSwish, kHardSigmoid,
  kExp, kLog, kSqrt, kReciprocal, kAbs, kClip, kSoftplus,
};

struct ActivationGradAttrs : ir::OpAttrs {
  GradActivation activation = GradActivation::kRelu;
  float alpha = 0.f;  // LeakyRelu slope (default 0.01); HardSigmoid alpha (default 0.2)
  float beta = 0.f;   // HardSigmoid beta (default 0.5)
};

struct CrossEntropyAttrs : ir::OpAttrs {
  float label_smoothing = 0.f;  // in [0, 1]
  int64_t ignore_index = -100;
};

// TrainDropout (ratio, seed) and DropoutGrad (ratio only).
struct TrainDropoutAttrs : ir::OpAttrs {
  float ratio = 0.5f;  // in [0, 1]
  int64_t seed = 0;
};

struct ReduceGradAttrs : ir::OpAttrs {
  std::vector<int64_t> axes;  // as written; empty = every axis
  bool keepdims = true;
  bool mean = false;          // ReduceMean's gradient: divide by the reduced element count
};

// SplitMix64's output function applied to z + golden gamma (one draw of core/rng.h's Rng(z)).
inline uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// Per-(seed, step) key of the dropout mask.
inline uint64_t dropout_key(int64_t seed, int64_t step) { return splitmix64(splitmix64(uint64_t(seed)) ^ uint64_t(step)); }
// u(seed, step, i) in [0, 1): element i is kept iff u >= ratio. Counter-based, so any element can
// be computed on any thread and the mask does not depend on the thread count.
inline double dropout_uniform(uint64_t key, int64_t i) {
  return double(splitmix64(key + uint64_t(i) * 0x9e3779b97f4a7c15ull) >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace shrink::ops
