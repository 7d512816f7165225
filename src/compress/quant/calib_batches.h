// The calibration samples as ready input batches, and a runner of a model over them that returns
// chosen values: what bias correction and sensitivity analysis compare between the float and the
// quantized model.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "compress/quant/quantize.h"

namespace shrink::compress {

// Progress of a pass over the data: `what` (e.g. "bias correction"), steps done of total.
using StageProgress = std::function<void(const std::string& what, int64_t done, int64_t total)>;

// The first calib.samples samples, normalized, in batches of calib.batch.
std::vector<Tensor> calibration_batches(const ir::Graph& g, const CalibrationData& calib);

// Runs g (pruned to what `values` need) over the batches and calls f(batch index, values) for each.
void run_over_batches(const ir::Graph& g, const std::vector<std::string>& values, const std::vector<Tensor>& batches,
                      int threads, const std::function<void(size_t, const std::vector<Tensor>&)>& f);

// The value read in place of `v` in a QDQ graph: the output of DequantizeLinear(QuantizeLinear(v))
// when v is quantized there, else v.
std::string dequantized_view(const ir::Graph& q, const std::string& v);

}  // namespace shrink::compress
