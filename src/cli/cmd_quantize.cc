// `shrink quantize`: dynamic or static (QDQ or QOperator, calibrated) post-training quantization, with
// sizes, per-op counts and, given --eval data, accuracy and batch-1 latency before and after.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/latency.h"
#include "cli/progress.h"
#include "cli/quantize_plus.h"
#include "cli/train_options.h"
#include "compress/quant/quantize.h"
#include "core/file_io.h"
#include "onnx/model_io.h"
#include "runtime/session.h"
#include "train/evaluate.h"

namespace shrink::cli {
namespace {

struct QuantizeArgs {
  std::string model, out, mode, calib, method = "minmax", activation_type = "uint8", eval, report;
  std::string format = "qdq", weight_scale;  // empty: the mode's default
  std::vector<std::string> op_types, exclude;
  std::vector<float> mean, std;
  bool per_channel = false, per_tensor = false, no_reduce_range = false, skip_nonfinite = false, symmetric = false;
  int64_t calib_samples = 256;
  int threads = 1;
  QuantizePlusArgs plus;  // --equalize, --bias-correction, --analyze, --max-accuracy-drop
};

struct Measured {
  double top1 = 0, latency_ms = 0;
};

Measured measure(const ir::Graph& g, const train::Dataset& data, const QuantizeArgs& a) {
  Measured m;
  m.top1 = train::evaluate(g, data, {.threads = a.threads, .mean = a.mean, .std = a.std}).top1;
  Shape s = data.x.shape();
  s[0] = 1;
  Tensor x1(data.x.dtype(), s);
  std::memcpy(x1.raw(), data.x.raw(), x1.nbytes());
  runtime::Session session(g, {.threads = a.threads});
  m.latency_ms = measure_latency(session, {x1}, 3, 20, 1).median_ms;
  return m;
}

// --skip-nonfinite: which calibration samples were left out (the first ten).
void warn_skipped(const std::vector<int64_t>& skipped) {
  if (skipped.empty()) return;
  std::string list;
  for (size_t i = 0; i < skipped.size() && i < 10; ++i) list += (i ? ", " : "") + std::to_string(skipped[i]);
  std::fprintf(stderr, "shrink: warning: skipped %zu calibration sample%s with NaN or Inf (%s%s)\n", skipped.size(),
               skipped.size() == 1 ? "" : "s", list.c_str(), skipped.size() > 10 ? ", ..." : "");
}

int run_quantize(const QuantizeArgs& a) {
  SHRINK_CHECK(a.mode == "dynamic" || a.mode == "static", "--mode must be dynamic or static (got '", a.mode, "')");
  SHRINK_CHECK(a.threads >= 1 && a.threads <= 256, "--threads must be in 1..256");
  SHRINK_CHECK(a.activation_type == "uint8" || a.activation_type == "int8",
               "--activation-type must be uint8 or int8 (got '", a.activation_type, "')");
  SHRINK_CHECK(a.calib_samples >= 1, "--calib-samples must be >= 1");
  SHRINK_CHECK(a.format == "qdq" || a.format == "qop", "--format must be qdq or qop (got '", a.format, "')");
  SHRINK_CHECK(a.format == "qdq" || a.mode == "static", "--format qop needs --mode static");
  SHRINK_CHECK(!a.symmetric || a.mode == "static", "--symmetric needs --mode static (dynamic activations are asymmetric uint8)");
  SHRINK_CHECK(a.mean.size() == a.std.size(), "--mean and --std need the same number of values");
  const bool dynamic = a.mode == "dynamic";
  SHRINK_CHECK(dynamic || !a.calib.empty(), "--mode static needs --calib DATA (calibration samples)");
  compress::make_observer(a.method);
  const compress::WeightScale weight_scale =
      !a.weight_scale.empty() ? compress::parse_weight_scale(a.weight_scale)
      : a.mode == "dynamic"   ? compress::DynamicQuantConfig{}.weight_scale
                              : compress::StaticQuantConfig{}.weight_scale;
  check_quantize_plus(a.plus, a.mode, !a.eval.empty());
  ir::Graph model = onnx_io::load_model(a.model);
  train::Dataset eval_data;
  if (!a.eval.empty()) {
    eval_data = train::load_dataset(a.eval);
    const ModelInput in = model_input(model);
    check_dataset(eval_data, in, model_classes(model, in), a.eval);
    SHRINK_CHECK(eval_data.labelled(), "--eval data ", a.eval, " has no labels");
  }
  std::set<std::string> ops(a.op_types.begin(), a.op_types.end()), exclude(a.exclude.begin(), a.exclude.end());
  const bool reduce_range = !a.no_reduce_range;
  compress::QuantReport r;
  ir::Graph q;
  nlohmann::json plus_report = nlohmann::json::object();
  const ir::Graph base = equalize_if_asked(model, a.plus, plus_report);
  double calib_seconds = 0;
  if (dynamic) {
    compress::DynamicQuantConfig c{.per_channel = a.per_channel, .reduce_range = reduce_range,
                                   .weight_scale = weight_scale, .exclude = exclude};
    if (!ops.empty()) c.op_types = ops;
    q = compress::quantize_dynamic(base, c, &r);
  } else {
    compress::StaticQuantConfig c{.activation_type = a.activation_type == "int8" ? DType::kInt8 : DType::kUInt8,
                                  .reduce_range = reduce_range, .weight_scale = weight_scale,
                                  .per_channel = a.per_channel, .per_tensor = a.per_tensor,
                                  .symmetric_activations = a.symmetric,
                                  .method = a.method,
                                  .format = a.format == "qop" ? compress::QuantFormat::kQOperator
                                                              : compress::QuantFormat::kQdq,
                                  .exclude = exclude};
    if (!ops.empty()) c.op_types = ops;
    // NaN / Inf in the calibration data are calibrate()'s to name by sample, or to skip.
    compress::CalibrationData calib{.data = train::load_dataset(a.calib, {.allow_nonfinite = true}),
                                    .samples = a.calib_samples,
                                    .threads = a.threads, .mean = a.mean, .std = a.std,
                                    .skip_nonfinite = a.skip_nonfinite};
    Progress progress;
    const auto start = std::chrono::steady_clock::now();
    calib.progress = [&](int64_t done, int64_t total) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string text = "calibrating (" + a.method + ") batch " + std::to_string(done) + "/" +
                               std::to_string(total);
      if (done == total) progress.finish(text + " in " + format_duration(s));
      else progress.update(text, double(done) / double(total), s);
    };
    q = quantize_static_plus(base, c, calib, a.plus, eval_data, {.threads = a.threads, .mean = a.mean, .std = a.std}, r,
                             plus_report);
    calib_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    warn_skipped(r.skipped_samples);
  }
  r.bytes_before = compress::initializer_bytes(model);  // the input model's, also when equalization folded BN
  nlohmann::json j{{"model", a.model}, {"output", a.out}, {"mode", a.mode}, {"reduce_range", reduce_range},
                   {"weight_scale", compress::weight_scale_name(weight_scale)},
                   {"bytes_before", r.bytes_before}, {"bytes_after", r.bytes_after},
                   {"weight_bytes_before", r.weight_bytes_before}, {"weight_bytes_after", r.weight_bytes_after},
                   {"size_ratio", double(r.bytes_before) / double(std::max<int64_t>(1, r.bytes_after))},
                   {"weight_size_ratio", double(r.weight_bytes_before) / double(std::max<int64_t>(1, r.weight_bytes_after))},
                   {"quantized", r.quantized}, {"skipped", r.skipped}};
  if (!dynamic) {
    j["format"] = a.format;
    j["calibration"] = {{"method", a.method},
                        {"samples", r.calibration_samples},
                        {"activation_type", a.activation_type},
                        {"skipped_samples", r.skipped_samples},
                        {"seconds", calib_seconds}};
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& t : r.ranges)
      ranges.push_back({{"tensor", t.tensor}, {"min", t.range.lo}, {"max", t.range.hi}, {"scale", t.scale},
                        {"zero_point", t.zero_point}});
    j["ranges"] = ranges;
  }
  j.update(plus_report);
  std::printf("size      %lld -> %lld bytes of initializers (%.2fx); quantized layers' weights %lld -> %lld (%.2fx)\n",
              (long long)r.bytes_before, (long long)r.bytes_after,
              double(r.bytes_before) / double(std::max<int64_t>(1, r.bytes_after)), (long long)r.weight_bytes_before,
              (long long)r.weight_bytes_after,
              double(r.weight_bytes_before) / double(std::max<int64_t>(1, r.weight_bytes_after)));
  std::printf("quantized");
  for (const auto& [op, n] : r.quantized) std::printf(" %s:%lld", op.c_str(), (long long)n);
  if (r.quantized.empty()) std::printf(" nothing");
  for (const auto& [op, n] : r.skipped) std::printf(" (left in float: %s:%lld)", op.c_str(), (long long)n);
  std::printf("\n");
  if (!a.eval.empty()) {
    const Measured before = measure(model, eval_data, a), after = measure(q, eval_data, a);
    std::printf("top-1     %.2f%% -> %.2f%% (%+.2f points) on %lld samples\n", 100 * before.top1, 100 * after.top1,
                100 * (after.top1 - before.top1), (long long)eval_data.size());
    std::printf("latency   %.3f -> %.3f ms (%.2fx; median, batch 1, %d thread%s)\n", before.latency_ms, after.latency_ms,
                after.latency_ms / before.latency_ms, a.threads, a.threads == 1 ? "" : "s");
    j["eval"] = {{"data", a.eval}, {"samples", eval_data.size()}, {"top1_before", before.top1},
                 {"top1_after", after.top1}, {"latency_ms_before", before.latency_ms},
                 {"latency_ms_after", after.latency_ms}, {"accuracy_change", after.top1 - before.top1},
                 {"latency_ratio", after.latency_ms / before.latency_ms}, {"threads", a.threads}};
  }
  onnx_io::save_model(q, a.out);
  if (!a.report.empty()) write_file_atomic(a.report, j.dump(2) + "\n");
  std::printf("wrote     %s\n", a.out.c_str());
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Post-training int8 quantization (dynamic, or static QDQ / QOperator with calibration)");
  cmd->footer(
      "Dynamic: weights quantized ahead of time, activations per batch (MatMul of two activations too). Static:\n"
      "calibrated activation ranges, written as QDQ (--format qdq) or QLinearConv/QLinearMatMul (--format qop).\n"
      "Weights are 7-bit ([-64, 64], ONNX Runtime's reduce_range) by default: on AVX2 without VNNI int8\n"
      "kernels sum products in int16, which is exact only for |w| <= 64 (8-bit weights run a split kernel at\n"
      "twice the cost here, and saturate in ONNX Runtime); --no-reduce-range for [-127, 127].\n"
      "See docs/quantization.md.");
  cmd->add_option("model", a->model, "ONNX model")->required();
  cmd->add_option("-o,--output", a->out, "Quantized ONNX model to write")->required();
  cmd->add_option("--mode", a->mode, "dynamic | static")->required();
  cmd->add_option("--op-types", a->op_types,
                  "Ops to quantize (dynamic: MatMul,Gemm,Gather by default, or Conv; static: Conv,MatMul,Gemm,Gather;\n"
                  "Gather: int8 embedding tables, and a position table added to them)")
      ->delimiter(',');
  auto* pc = cmd->add_flag("--per-channel", a->per_channel,
                           "Per-output-column MatMul/Gemm weight scales everywhere. Default: dynamic per tensor; static\n"
                           "per column where the layer has >= 250 input rows (scales then cost <= 2% of its bytes), else\n"
                           "per tensor. Conv: static always per channel, dynamic (ConvInteger) per tensor");
  cmd->add_flag("--per-tensor", a->per_tensor, "One scale per MatMul/Gemm weight everywhere (static; dynamic's default)")->excludes(pc);
  cmd->add_option("--format", a->format, "Static: qdq (Quantize/DequantizeLinear pairs) | qop (QLinearConv/MatMul)")
      ->capture_default_str();
  cmd->add_option("--calib", a->calib, "Static: calibration dataset (.npz, .npy, MNIST IDX, CIFAR-10, .csv)");
  cmd->add_option("--calib-samples", a->calib_samples, "Static: calibration samples")->capture_default_str();
  cmd->add_option("--calib-method", a->method, "Static: " + compress::observer_names())->capture_default_str();
  cmd->add_option("--activation-type", a->activation_type, "Static: uint8 | int8")->capture_default_str();
  cmd->add_flag("--symmetric", a->symmetric,
                "Static: symmetric activation ranges (zero point 0 for int8, 128 for uint8)");
  cmd->add_flag("--skip-nonfinite", a->skip_nonfinite,
                "Static: leave out calibration samples with (or leading to) NaN / Inf, with a warning");
  cmd->add_option("--mean", a->mean, "Per-channel normalization mean of the inputs (as in training)")->delimiter(',');
  cmd->add_option("--std", a->std, "Per-channel normalization std")->delimiter(',');
  cmd->add_option("--exclude", a->exclude, "Node names to leave in float")->delimiter(',');
  cmd->add_flag("--no-reduce-range", a->no_reduce_range, "Full 8-bit weights [-127, 127] (slower without VNNI)");
  cmd->add_option("--weight-scale", a->weight_scale,
                  "Weight scales: max (max |w|, nothing clipped) | mse (the clipping threshold minimizing the squared\n"
                  "error); default: mse for static, max for dynamic");
  cmd->add_option("--eval", a->eval, "Labelled dataset: accuracy and batch-1 latency before and after");
  cmd->add_option("--report", a->report, "Write the report as JSON");
  cmd->add_option("--threads", a->threads, "Threads")->capture_default_str();
  add_quantize_plus_options(*cmd, a->plus);
  cmd->callback([&action, a] { action = [a] { return run_quantize(*a); }; });
}

}  // namespace shrink::cli
