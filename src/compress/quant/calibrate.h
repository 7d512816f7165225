// Calibration: runs the float model over the calibration batches with the tensors to quantize
// exposed as extra graph outputs, and feeds each tensor's values to its own observer.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "compress/quant/quantize.h"

namespace shrink::compress {

// Ranges of `tensors` (float32 values of g) over the first calib.samples rows of calib.data. Fails
// (bad input) when the data does not fit the model's single input, or a sample holds or leads to NaN /
// Inf (unless calib.skip_nonfinite: then such samples are left out and listed in `skipped`).
std::map<std::string, Range> calibrate(const ir::Graph& g, const std::vector<std::string>& tensors,
                                       const std::string& method, const ObserverOptions& options,
                                       const CalibrationData& calib, int64_t* samples_used = nullptr,
                                       std::vector<int64_t>* skipped = nullptr);

}  // namespace shrink::compress
