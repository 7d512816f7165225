// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization"): for two consecutive
// layers with only positive-homogeneous ops between them (Relu, MaxPool, AveragePool), scaling
// output channel i of the first by 1/s_i and input channel i of the second by s_i leaves the float
// function unchanged; s_i = sqrt(r1_i / r2_i) gives both the same per-channel weight range.
//   ir::Graph eq = compress::equalize(model, {}, &report);   // then quantize eq
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::compress {

struct EqualizeConfig {
  int max_iterations = 20;     // sweeps over all pairs (a depthwise layer sits in two pairs)
  double tolerance = 1e-3;     // stop when every scale of a sweep is within 1 +- tolerance
};

struct EqualizedPair {
  std::string first, second;  // node names
  int64_t channels = 0;
};

struct EqualizeReport {
  std::vector<EqualizedPair> pairs;
  // Pairs left alone, with why: "conv1 -> conv2: Clip(0, 6) between (not positive-homogeneous)".
  std::vector<std::string> skipped;
  int iterations = 0;
};

// Folds BatchNorm into Conv, bypasses inference Dropout, then equalizes every Conv -> Conv (dense
// or depthwise, in either place), Gemm/MatMul -> Gemm/MatMul pair whose intermediate values have
// one reader each and whose weights (and biases) are float constants read by that layer only.
ir::Graph equalize(ir::Graph g, const EqualizeConfig& config = {}, EqualizeReport* report = nullptr);

// Per-channel max |w| of a weight along `axis` (all other dims reduced).
std::vector<double> channel_ranges(const Tensor& w, int64_t axis);

}  // namespace shrink::compress
