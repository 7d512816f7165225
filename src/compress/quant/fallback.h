// Accuracy-driven fallback: quantize everything, evaluate top-1, and while the drop from the float
// model exceeds the budget, return the next most sensitive quantized node to float (an order from
// sensitivity.h) and evaluate again. Ends when the budget is met or no quantized node is left (the
// all-float model: it meets any budget >= 0 by construction, and `all_float` says so).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "compress/quant/static_quantizer.h"
#include "train/evaluate.h"

namespace shrink::compress {

struct FallbackStep {
  std::string node;   // returned to float at this step ("" for the fully quantized start)
  double top1 = 0;
};

struct FallbackResult {
  ir::Graph model;
  QuantReport report;
  double float_top1 = 0, top1 = 0;
  std::vector<FallbackStep> steps;
  std::vector<std::string> float_nodes;  // in the order they went back to float
  bool met = false;                      // top1 >= float_top1 - max_drop
  bool all_float = false;                // every candidate ended in float
};

// `order`: candidate names, most sensitive first (candidates not listed never go back to float);
// max_drop_points: the allowed top-1 drop in percentage points (>= 0); float_top1 in [0, 1].
FallbackResult fall_back_until_accurate(const StaticQuantizer& sq, const std::vector<std::string>& order,
                                        const train::Dataset& eval, const train::EvalOptions& options,
                                        double float_top1, double max_drop_points,
                                        const std::function<void(const FallbackStep&)>& on_step = {});

}  // namespace shrink::compress
