// Static quantization in two stages, for the passes that quantize one model many ways (sensitivity
// analysis, accuracy fallback): the float model is prepared (BatchNorm folded, Dropout bypassed)
// and calibrated once; then any subset of its quantizable nodes is emitted as QDQ with those ranges.
//   StaticQuantizer sq(model, config, calib);  ir::Graph q = sq.quantize({"conv1"});  // conv1 float
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compress/quant/bias_correction.h"
#include "compress/quant/calib_batches.h"
#include "compress/quant/quantize.h"

namespace shrink::compress {

// A quantizable node of the prepared graph.
struct Candidate {
  std::string name, op_type;
  std::string output;  // its output value (pre-activation; MatMul: before its bias Add)
  std::string end;     // the value whose range it writes: after its bias Add and Relu / Clip
};

class StaticQuantizer {
 public:
  // Checks the config, prepares `model` and calibrates the activations of every candidate.
  StaticQuantizer(ir::Graph model, StaticQuantConfig config, CalibrationData calib);
  // The nodes quantize() quantizes (not in config.exclude), in graph order.
  const std::vector<Candidate>& candidates() const { return candidates_; }
  // The prepared float graph the QDQ nodes go into (node and value names are kept by quantize()).
  const ir::Graph& float_graph() const { return g_; }
  const StaticQuantConfig& config() const { return config_; }
  const CalibrationData& calibration() const { return calib_; }
  int64_t calibration_samples() const { return calibration_samples_; }
  // The QDQ model with every candidate not in `keep_float` quantized (bias-corrected when the
  // config asks for it).
  ir::Graph quantize(const std::set<std::string>& keep_float = {}, QuantReport* report = nullptr) const;
  // Progress of the passes quantize() runs over the data (bias correction).
  void set_progress(StageProgress progress) { progress_ = std::move(progress); }

 private:
  StaticQuantConfig config_;
  CalibrationData calib_;
  ir::Graph g_;
  std::vector<Candidate> candidates_;
  std::map<std::string, Range> ranges_;             // calibrated, by tensor
  std::map<std::string, std::string> same_as_;      // tensor -> tensor whose range it takes
  int64_t bytes_before_ = 0, calibration_samples_ = 0;
  std::vector<int64_t> skipped_samples_;            // calibration samples skipped (skip_nonfinite)
  std::set<std::string> gemms_;                     // QOperator form: Gemms rewritten as MatMul
  // Bias correction: where each candidate adds its bias, the calibration batches, and the float
  // model's per-channel output means there.
  std::vector<BiasSite> bias_sites_;
  std::vector<Tensor> batches_;
  std::map<std::string, std::vector<double>> float_means_;
  StageProgress progress_;
};

}  // namespace shrink::compress
