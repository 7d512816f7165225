// Post-training quantization (Graph -> Graph, standard ONNX out, runnable by ONNX Runtime):
//   quantize_dynamic: int8 weights ahead of time, activations quantized per batch at run time, in
//     ONNX Runtime's form DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul [-> Add].
//   quantize_static: BatchNorm folded, then QuantizeLinear/DequantizeLinear pairs with ranges
//     calibrated on data (observers.h), in the QDQ form passes/fuse_qdq.cc runs on int8 kernels, or
//     in the QOperator form (QLinearConv / QLinearMatMul) passes/fuse_qoperators.cc maps onto them.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compress/quant/observers.h"
#include "compress/quant/quant_params.h"
#include "ir/graph.h"
#include "train/data/dataset.h"

namespace shrink::compress {

struct DynamicQuantConfig {
  std::set<std::string> op_types = {"MatMul", "Gemm", "Gather"};  // of MatMul, Gemm, Conv, Gather (embedding.h)
  bool per_channel = false;  // MatMul / Gemm: per output column, else per tensor
  bool reduce_range = true;  // 7-bit weights (quant_params.h)
  // max |w|, as ONNX Runtime's quantize_dynamic: MSE scales measured no better here (docs/quantization.md)
  WeightScale weight_scale = WeightScale::kMaxAbs;
  std::set<std::string> exclude;                        // node names left in float
};

// How static quantization is written: QuantizeLinear/DequantizeLinear around float ops (QDQ), or
// QLinearConv / QLinearMatMul on int8 values with Quantize / Dequantize only at float boundaries.
enum class QuantFormat { kQdq, kQOperator };

constexpr int64_t kPerChannelMinRows = 250;

struct StaticQuantConfig {
  std::set<std::string> op_types = {"Conv", "MatMul", "Gemm", "Gather"};  // Gather: embedding tables
  DType activation_type = DType::kUInt8;  // or kInt8
  bool reduce_range = true;
  WeightScale weight_scale = WeightScale::kMse;  // what 7-bit weights lose less with (quant_params.h)
  // MatMul / Gemm weights: per output channel where that is cheap, i.e. where the layer has at least
  // kPerChannelMinRows input rows (a channel's scale and zero point, 5 bytes, then cost at most 2% of
  // its int8 column; on a 64-row layer they would cost 8% and the weights would no longer be 3.9x
  // smaller), else per tensor. per_channel forces per channel, per_tensor per tensor. Conv is always
  // per channel.
  bool per_channel = false;
  bool per_tensor = false;
  bool symmetric_activations = false;     // ranges [-m, m]: zero point 0 (int8) / 128 (uint8)
  std::string method = "minmax";          // an observer_methods() name
  QuantFormat format = QuantFormat::kQdq;
  ObserverOptions observer;
  std::set<std::string> exclude;
  bool bias_correction = false;  // empirical bias correction on the calibration data (bias_correction.h)
};

// Progress of calibration: batches done of total.
using CalibrationProgress = std::function<void(int64_t done, int64_t total)>;

struct CalibrationData {
  train::Dataset data;      // x only is used
  int64_t samples = 256;    // the first `samples` of data (fewer if data is smaller)
  int64_t batch = 32;
  int threads = 1;
  std::vector<float> mean, std;  // per-channel normalization, as in training (train::LoaderOptions)
  // Samples with NaN / Inf (in the data, or in a calibrated tensor they lead to) are left out and
  // listed in QuantReport::skipped_samples; otherwise they are bad input, named by batch and sample.
  bool skip_nonfinite = false;
  CalibrationProgress progress;
};

// The calibrated range of one quantized tensor.
struct TensorRange {
  std::string tensor;
  Range range;
  float scale = 1;
  int32_t zero_point = 0;
};

// One node's empirical bias correction: the mean output error per channel it took off the bias.
struct BiasCorrection {
  std::string node;
  int64_t channels = 0;
  double mean_abs_shift = 0, max_abs_shift = 0;  // |E[y_q - y_f]| over the channels
  double bias_rms = 0;                           // RMS of the bias before, for scale
};

struct QuantReport {
  int64_t bytes_before = 0, bytes_after = 0;          // all initializers
  int64_t weight_bytes_before = 0, weight_bytes_after = 0;  // the quantized layers' weights (+ scales)
  std::map<std::string, int64_t> quantized;           // op type -> nodes quantized
  std::map<std::string, int64_t> skipped;             // op type -> candidate nodes left in float
  std::vector<TensorRange> ranges;                    // static only
  int64_t calibration_samples = 0;
  std::vector<int64_t> skipped_samples;  // indices into the calibration data (skip_nonfinite)
  std::vector<BiasCorrection> bias_corrections;       // static with bias_correction
};

ir::Graph quantize_dynamic(ir::Graph g, const DynamicQuantConfig& config, QuantReport* report = nullptr);
ir::Graph quantize_static(ir::Graph g, const StaticQuantConfig& config, const CalibrationData& calib,
                          QuantReport* report = nullptr);

// Bytes of all initializers.
int64_t initializer_bytes(const ir::Graph& g);

}  // namespace shrink::compress
