// Empirical bias correction (Nagel et al. 2019; AIMET's empirical variant): quantization shifts the
// mean of a layer's output (E[y_q - y_f] != 0 per channel: weight rounding times E[x], activation
// clipping, upstream shifts). Measured on the calibration data, the shift is taken off the bias,
// layer by layer in graph order, so that each layer's measurement sees the corrections before it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "compress/quant/calib_batches.h"
#include "compress/quant/quantize.h"

namespace shrink::compress {

// Where a node adds its bias: Conv's B, Gemm's C, or the Add of a constant after a MatMul.
struct BiasSite {
  std::string node;
  std::string output;          // the value after the bias is added
  std::string bias;            // float initializer, one value per output channel
  bool channels_last = false;  // Gemm / MatMul: the channel is the last axis (Conv: axis 1)
};

// The bias sites of the named nodes of g; a node without a per-channel float bias of its own is
// left out (there is nothing to correct).
std::vector<BiasSite> bias_sites(const ir::Graph& g, const std::vector<std::string>& nodes);

// Per-channel means of each site's output over the batches.
std::map<std::string, std::vector<double>> channel_means(const ir::Graph& g, const std::vector<BiasSite>& sites,
                                                         const std::vector<Tensor>& batches, int threads);

// Corrects q's biases in place, site by site in order: bias -= E[y_q] - float_means[output].
std::vector<BiasCorrection> correct_bias(ir::Graph& q, const std::vector<BiasSite>& sites,
                                         const std::map<std::string, std::vector<double>>& float_means,
                                         const std::vector<Tensor>& batches, int threads,
                                         const StageProgress& progress = {});

}  // namespace shrink::compress
