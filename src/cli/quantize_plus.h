// `shrink quantize` options beyond PyTorch's PTQ, kept apart from cmd_quantize.cc: --equalize
// (cross-layer equalization), --bias-correction, --analyze (per-layer sensitivity) and
// --max-accuracy-drop (fallback of the most sensitive layers to float). docs/quantization.md.
#pragma once
#include <cmath>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "compress/quant/quantize.h"
#include "train/evaluate.h"

namespace shrink::cli {

struct QuantizePlusArgs {
  bool equalize = false, bias_correction = false, analyze = false;
  double max_drop = std::numeric_limits<double>::quiet_NaN();  // percentage points; NaN: not asked
  bool fallback() const { return !std::isnan(max_drop); }
};

void add_quantize_plus_options(CLI::App& cmd, QuantizePlusArgs& a);
// Fails (bad input, one line) on combinations that cannot work.
void check_quantize_plus(const QuantizePlusArgs& a, const std::string& mode, bool has_eval);
// The model to quantize: `model` equalized when asked (its report added to j), else `model`.
ir::Graph equalize_if_asked(const ir::Graph& model, const QuantizePlusArgs& a, nlohmann::json& j);
// Static quantization with bias correction, the sensitivity table and the accuracy fallback as
// asked; prints the table and each fallback step, and adds them to j.
ir::Graph quantize_static_plus(const ir::Graph& model, compress::StaticQuantConfig config,
                               const compress::CalibrationData& calib, const QuantizePlusArgs& a,
                               const train::Dataset& eval, const train::EvalOptions& eval_options,
                               compress::QuantReport& report, nlohmann::json& j);

}  // namespace shrink::cli
