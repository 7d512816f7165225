// Sensitivity analysis: the float model's outputs on the calibration batches once, then per node a
// QDQ model with that node alone quantized (same calibrated ranges as the full model) run beside a
// float pass pruned to the node's output.
#include "compress/quant/sensitivity.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace shrink::compress {
namespace {

struct ErrorSum {
  double err = 0, ref = 0;
  void add(const Tensor& q, const Tensor& f) {
    SHRINK_ASSERT(q.numel() == f.numel(), "sensitivity: quantized and float outputs differ in size");
    const float* a = q.data<float>();
    const float* b = f.data<float>();
    for (int64_t i = 0; i < q.numel(); ++i) {
      err += double(a[i] - b[i]) * double(a[i] - b[i]);
      ref += double(b[i]) * b[i];
    }
  }
  double relative() const { return err / std::max(ref, 1e-30); }
};

}  // namespace

std::vector<LayerSensitivity> analyze_sensitivity(const StaticQuantizer& sq, const StageProgress& progress) {
  const ir::Graph& f = sq.float_graph();
  const std::vector<Tensor> batches = calibration_batches(f, sq.calibration());
  const int threads = sq.calibration().threads;
  const std::string output = f.outputs.at(0).name;
  std::vector<Tensor> float_out(batches.size());
  run_over_batches(f, {output}, batches, threads, [&](size_t i, const std::vector<Tensor>& y) { float_out[i] = y[0]; });

  std::vector<LayerSensitivity> result;
  std::set<std::string> all;
  for (const auto& c : sq.candidates()) all.insert(c.name);
  for (size_t k = 0; k < sq.candidates().size(); ++k) {
    const Candidate& c = sq.candidates()[k];
    std::set<std::string> others = all;
    others.erase(c.name);
    const ir::Graph q = sq.quantize(others);
    std::vector<Tensor> float_node(batches.size());
    run_over_batches(f, {c.end}, batches, threads, [&](size_t i, const std::vector<Tensor>& y) { float_node[i] = y[0]; });
    ErrorSum out, node;
    const std::string view = dequantized_view(q, c.end);
    std::vector<std::string> values = {output};
    if (view != output) values.push_back(view);  // the last layer may write the model's output itself
    run_over_batches(q, values, batches, threads, [&](size_t i, const std::vector<Tensor>& y) {
      out.add(y[0], float_out[i]);
      node.add(y.back(), float_node[i]);
    });
    const double rel = out.relative();
    result.push_back({c.name, c.op_type, rel, rel > 0 ? -10 * std::log10(rel) : INFINITY, node.relative()});
    if (progress) progress("sensitivity analysis", int64_t(k + 1), int64_t(sq.candidates().size()));
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const LayerSensitivity& a, const LayerSensitivity& b) { return a.output_rel_mse > b.output_rel_mse; });
  return result;
}

}  // namespace shrink::compress
