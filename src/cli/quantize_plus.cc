// --equalize, --bias-correction, --analyze and --max-accuracy-drop for `shrink quantize`: option
// wiring, checks, the sensitivity table and fallback steps on stdout, their JSON report sections.
#include "cli/quantize_plus.h"

#include <chrono>
#include <cstdio>

#include "cli/progress.h"
#include "compress/quant/equalize.h"
#include "compress/quant/fallback.h"
#include "compress/quant/sensitivity.h"
#include "core/error.h"

namespace shrink::cli {
namespace {

void print_sensitivity(const std::vector<compress::LayerSensitivity>& table, int64_t samples) {
  std::printf("sensitivity: each layer quantized alone, %lld calibration samples, most sensitive first\n",
              (long long)samples);
  std::printf("  %4s  %-32s %-7s %16s %15s %20s\n", "rank", "node", "op", "output rel. MSE", "output SQNR dB",
              "own output rel. MSE");
  for (size_t i = 0; i < table.size(); ++i) {
    const auto& s = table[i];
    std::printf("  %4zu  %-32s %-7s %16.3e %15.1f %20.3e\n", i + 1, s.node.c_str(), s.op_type.c_str(),
                s.output_rel_mse, s.output_sqnr_db, s.node_rel_mse);
  }
}

}  // namespace

void add_quantize_plus_options(CLI::App& cmd, QuantizePlusArgs& a) {
  cmd.add_flag("--equalize", a.equalize, "Cross-layer equalization first (float outputs unchanged)");
  cmd.add_flag("--bias-correction", a.bias_correction, "Static: take the mean output shift (on --calib) off each bias");
  cmd.add_flag("--analyze", a.analyze, "Static: rank the layers by the error each causes quantized alone");
  cmd.add_option("--max-accuracy-drop", a.max_drop,
                 "Static, with --eval: most sensitive layers back to float until top-1 drops <= P points")
      ->type_name("P");
}

void check_quantize_plus(const QuantizePlusArgs& a, const std::string& mode, bool has_eval) {
  const bool fallback = a.fallback();
  if (mode != "static") {
    SHRINK_CHECK(!a.bias_correction, "--bias-correction needs --mode static (it measures on the calibration data)");
    SHRINK_CHECK(!a.analyze, "--analyze needs --mode static");
    SHRINK_CHECK(!fallback, "--max-accuracy-drop needs --mode static");
  }
  if (fallback) {
    SHRINK_CHECK(a.max_drop >= 0 && a.max_drop <= 100, "--max-accuracy-drop must be in 0..100 points (got ",
                 a.max_drop, ")");
    SHRINK_CHECK(has_eval, "--max-accuracy-drop needs --eval DATA (labelled) to measure top-1 on");
  }
}

ir::Graph equalize_if_asked(const ir::Graph& model, const QuantizePlusArgs& a, nlohmann::json& j) {
  if (!a.equalize) return model;
  compress::EqualizeReport r;
  ir::Graph g = compress::equalize(model, {}, &r);
  std::printf("equalized %zu layer pair%s in %d sweep%s", r.pairs.size(), r.pairs.size() == 1 ? "" : "s",
              r.iterations, r.iterations == 1 ? "" : "s");
  if (!r.skipped.empty()) std::printf(" (%zu left alone: Clip with a bound between)", r.skipped.size());
  std::printf("\n");
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& p : r.pairs) pairs.push_back({{"first", p.first}, {"second", p.second}, {"channels", p.channels}});
  j["equalization"] = {{"pairs", pairs}, {"skipped", r.skipped}, {"iterations", r.iterations}};
  return g;
}

ir::Graph quantize_static_plus(const ir::Graph& model, compress::StaticQuantConfig config,
                               const compress::CalibrationData& calib, const QuantizePlusArgs& a,
                               const train::Dataset& eval, const train::EvalOptions& eval_options,
                               compress::QuantReport& report, nlohmann::json& j) {
  config.bias_correction = a.bias_correction;
  compress::StaticQuantizer sq(model, config, calib);
  Progress progress;
  auto start = std::chrono::steady_clock::now();
  const compress::StageProgress show = [&](const std::string& what, int64_t done, int64_t total) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string text = what + " " + std::to_string(done) + "/" + std::to_string(total);
    if (done == total) progress.finish(text + " in " + format_duration(s));
    else progress.update(text, double(done) / double(total), s);
  };
  const bool fallback = a.fallback();
  std::vector<compress::LayerSensitivity> table;
  if (a.analyze || fallback) {
    // Analysis quantizes one layer at a time: its bias correction (one layer each) is not worth a line.
    const auto t0 = std::chrono::steady_clock::now();
    table = compress::analyze_sensitivity(sq, [&](const std::string& what, int64_t done, int64_t total) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string text = what + " layer " + std::to_string(done) + "/" + std::to_string(total);
      if (done == total) progress.finish(text + " in " + format_duration(s));
      else progress.update(text, double(done) / double(total), s);
    });
    print_sensitivity(table, sq.calibration_samples());
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < table.size(); ++i)
      rows.push_back({{"rank", i + 1}, {"node", table[i].node}, {"op", table[i].op_type},
                      {"output_rel_mse", table[i].output_rel_mse}, {"output_sqnr_db", table[i].output_sqnr_db},
                      {"node_rel_mse", table[i].node_rel_mse}});
    j["sensitivity"] = rows;
  }
  start = std::chrono::steady_clock::now();
  sq.set_progress(show);
  ir::Graph q;
  if (fallback) {
    std::vector<std::string> order;
    for (const auto& s : table) order.push_back(s.node);
    const double float_top1 = train::evaluate(model, eval, eval_options).top1;
    auto step = [&](const compress::FallbackStep& s) {
      const double drop = 100 * (float_top1 - s.top1);
      std::printf("fallback  %-32s top-1 %.2f%% (drop %.2f points, budget %.2f)\n",
                  s.node.empty() ? "all quantized:" : (s.node + " -> float:").c_str(), 100 * s.top1, drop, a.max_drop);
      std::fflush(stdout);
    };
    compress::FallbackResult f =
        compress::fall_back_until_accurate(sq, order, eval, eval_options, float_top1, a.max_drop, step);
    if (f.all_float && !f.float_nodes.empty())
      std::fprintf(stderr, "shrink: warning: every quantized layer went back to float to meet --max-accuracy-drop %g\n",
                   a.max_drop);
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : f.steps) steps.push_back({{"to_float", s.node}, {"top1", s.top1}});
    j["fallback"] = {{"max_accuracy_drop", a.max_drop}, {"float_top1", f.float_top1}, {"top1", f.top1},
                     {"met", f.met}, {"all_float", f.all_float}, {"float_nodes", f.float_nodes}, {"steps", steps}};
    q = std::move(f.model);
    report = std::move(f.report);
  } else {
    q = sq.quantize({}, &report);
  }
  if (a.bias_correction) {
    nlohmann::json rows = nlohmann::json::array();
    double worst = 0;
    for (const auto& c : report.bias_corrections) {
      rows.push_back({{"node", c.node}, {"channels", c.channels}, {"mean_abs_shift", c.mean_abs_shift},
                      {"max_abs_shift", c.max_abs_shift}, {"bias_rms", c.bias_rms}});
      worst = std::max(worst, c.max_abs_shift);
    }
    std::printf("bias      corrected %zu layer%s (largest per-channel mean shift %.3g)\n",
                report.bias_corrections.size(), report.bias_corrections.size() == 1 ? "" : "s", worst);
    j["bias_correction"] = rows;
  }
  return q;
}

}  // namespace shrink::cli
