// Per-layer sensitivity (as ONNX Runtime's qdq_loss_debug): each quantizable node is quantized
// alone, everything else float, and the calibration samples run through it and through the float
// model; the error that node alone causes, at the model's output and at its own output, ranks it.
#pragma once
#include <string>
#include <vector>

#include "compress/quant/static_quantizer.h"

namespace shrink::compress {

struct LayerSensitivity {
  std::string node, op_type;
  double output_rel_mse = 0;   // sum (y_q - y)^2 / sum y^2 over the model's first output
  double output_sqnr_db = 0;   // -10 log10(output_rel_mse); large is good
  double node_rel_mse = 0;     // the same over the node's own (dequantized) output
};

// Every candidate of `sq`, most sensitive (largest output_rel_mse) first.
std::vector<LayerSensitivity> analyze_sensitivity(const StaticQuantizer& sq, const StageProgress& progress = {});

}  // namespace shrink::compress
