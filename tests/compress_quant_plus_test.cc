// Quantization beyond PyTorch's PTQ (compress/quant): cross-layer equalization keeps the float
// outputs and evens the channel ranges, and lowers the static int8 error of a model with
// imbalanced channels; empirical bias correction removes the mean output shift; the sensitivity
// analysis ranks a deliberately broken layer first; the accuracy fallback returns it to float;
// `shrink quantize --equalize --bias-correction --analyze --max-accuracy-drop` end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_main.h"
#include "compress/quant/calib_batches.h"
#include "compress/quant/equalize.h"
#include "compress/quant/fallback.h"
#include "compress/quant/sensitivity.h"
#include "compress/quant/static_quantizer.h"
#include "onnx/model_io.h"
#include "ops/op.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/layers.h"
#include "train/models/model_zoo.h"
#include "train_data_util.h"

namespace shrink {
namespace {

train::Dataset images(int64_t n, uint64_t seed, int64_t size = 16) {
  return train::synth_images(n, seed, {.size = size});
}

Tensor run(const ir::Graph& g, const Tensor& x) { return runtime::Session(g).run({x})[0]; }

double rel_err(const Tensor& a, const Tensor& ref) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = double(a.data<float>()[i]) - ref.data<float>()[i];
    num += d * d;
    den += double(ref.data<float>()[i]) * ref.data<float>()[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

// A MobileNet-like block net: Conv 3x3 -> Relu -> depthwise 3x3 -> Relu (or ReLU6) -> Conv 1x1 ->
// Relu -> GAP -> Gemm, all with biases (BatchNorm already folded), input 3x16x16.
ir::Graph dwnet(bool relu6_after_first = false) {
  ir::Graph g;
  g.name = "dwnet";
  g.opsets = {{"", 17}};
  g.inputs.push_back({"input", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {3, ""}, {16, ""}, {16, ""}}, ""});
  train::LayerBuilder b(g, 5, false);
  std::string x = b.conv("input", 3, 16, 3, 1, 1, true, "conv1");
  x = relu6_after_first ? b.relu6(x, "act1") : b.relu(x, "act1");
  x = b.relu(b.conv(x, 16, 16, 3, 1, 16, true, "dw"), "act2");
  x = b.relu(b.conv(x, 16, 16, 1, 1, 1, true, "pw"), "act3");
  const std::string logits = b.linear(b.global_avg_pool(x, "pool"), 16, 10, "fc");
  g.outputs.push_back({logits, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  ir::verify(g);
  return g;
}

Tensor& init(ir::Graph& g, const std::string& name) {
  Tensor& t = g.initializers.at(name);
  t = t.clone();
  return t;
}

// Scales output channel c of conv `a` (weight and bias) by f[c] and the matching input channel
// of depthwise / dense conv `b` by 1 / f[c]: the function is unchanged, the channels are not.
void imbalance(ir::Graph& g, const std::string& a, const std::string& b, bool b_depthwise) {
  Tensor& wa = init(g, a + ".weight");
  Tensor& ba = init(g, a + ".bias");
  Tensor& wb = init(g, b + ".weight");
  const int64_t c = wa.dim(0), per_a = wa.numel() / c;
  for (int64_t k = 0; k < c; ++k) {
    const float f = std::pow(10.f, float(k % 5) - 2.f);  // 0.01 .. 100
    for (int64_t i = 0; i < per_a; ++i) wa.data<float>()[k * per_a + i] *= f;
    ba.data<float>()[k] *= f;
    if (b_depthwise) {
      const int64_t per_b = wb.numel() / c;
      for (int64_t i = 0; i < per_b; ++i) wb.data<float>()[k * per_b + i] /= f;
    } else {
      const int64_t out = wb.dim(0), in = wb.dim(1), taps = wb.numel() / (out * in);
      for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < taps; ++i) wb.data<float>()[(o * in + k) * taps + i] /= f;
    }
  }
}

double spread(const Tensor& w, int64_t axis) {
  const std::vector<double> r = compress::channel_ranges(w, axis);
  return *std::max_element(r.begin(), r.end()) / *std::min_element(r.begin(), r.end());
}

TEST(CompressQuantPlus, EqualizeKeepsOutputsAndEvensRanges) {
  ir::Graph g = dwnet();
  imbalance(g, "conv1", "dw", true);
  imbalance(g, "dw", "pw", false);
  compress::EqualizeReport rep;
  const ir::Graph eq = compress::equalize(g, {}, &rep);
  ASSERT_EQ(rep.pairs.size(), 2u);
  EXPECT_EQ(rep.pairs[0].first, "conv1");
  EXPECT_EQ(rep.pairs[0].second, "dw");
  EXPECT_EQ(rep.pairs[1].second, "pw");
  EXPECT_TRUE(rep.skipped.empty());
  const Tensor x = images(16, 3).x;
  const double out_diff = rel_err(run(eq, x), run(g, x));
  const double before = spread(g.initializers.at("conv1.weight"), 0);
  const double after = spread(eq.initializers.at(eq.nodes[0].inputs[1]), 0);
  std::printf("[equalize] %d sweeps, relative output change %.2e, conv1 channel range max/min %.3g -> %.3g\n",
              rep.iterations, out_diff, before, after);
  EXPECT_LT(out_diff, 1e-4);
  EXPECT_GT(before, 1e4);
  EXPECT_LT(after, before / 100);
  // The caller's model is not touched.
  EXPECT_EQ(spread(g.initializers.at("conv1.weight"), 0), before);

  // MLP (Gemm -> Relu -> Gemm) pairs too.
  const ir::Graph mlp = train::build_model({.arch = "mlp", .input = {3, 16, 16}, .seed = 2});
  compress::EqualizeReport mr;
  const ir::Graph meq = compress::equalize(mlp, {}, &mr);
  EXPECT_GE(mr.pairs.size(), 1u);
  const Tensor xm = images(8, 4).x;
  EXPECT_LT(rel_err(run(meq, xm), run(mlp, xm)), 1e-4);
}

TEST(CompressQuantPlus, EqualizeLeavesClipWithBoundAlone) {
  const ir::Graph g = dwnet(/*relu6_after_first=*/true);
  compress::EqualizeReport rep;
  const ir::Graph eq = compress::equalize(g, {}, &rep);
  ASSERT_EQ(rep.pairs.size(), 1u);  // dw -> pw only
  EXPECT_EQ(rep.pairs[0].first, "dw");
  ASSERT_EQ(rep.skipped.size(), 1u);
  EXPECT_NE(rep.skipped[0].find("conv1 -> dw"), std::string::npos) << rep.skipped[0];
  const Tensor x = images(8, 3).x;
  EXPECT_LT(rel_err(run(eq, x), run(g, x)), 1e-4);
  // MobileNetV2's ReLU6 blocks: everything between its convs is Clip(0, 6); the model stays as it was.
  const ir::Graph mb = train::build_model({.arch = "mobilenet", .width = 16, .depth = 2, .seed = 1});
  compress::EqualizeReport mr;
  const ir::Graph meq = compress::equalize(mb, {}, &mr);
  EXPECT_GT(mr.skipped.size(), 0u);
  const Tensor xb = images(4, 5, 32).x;
  EXPECT_LT(rel_err(run(meq, xb), run(mb, xb)), 1e-4);
}

TEST(CompressQuantPlus, EqualizeLowersStaticInt8Error) {
  ir::Graph g = dwnet();
  imbalance(g, "conv1", "dw", true);
  imbalance(g, "dw", "pw", false);
  const compress::CalibrationData calib{.data = images(64, 21), .samples = 64};
  const Tensor x = images(64, 31).x;
  const Tensor ref = run(g, x);
  const double plain = rel_err(run(compress::quantize_static(g, {}, calib), x), ref);
  const double equalized = rel_err(run(compress::quantize_static(compress::equalize(g), {}, calib), x), ref);
  std::printf("[equalize] static int8 relative logit error: %.4f without, %.4f with equalization\n", plain, equalized);
  EXPECT_LT(equalized, plain / 3);
}

// Per-class mean of y_q - y over the batch, and its mean |.| over classes.
double mean_abs_class_bias(const Tensor& yq, const Tensor& y) {
  const int64_t n = y.dim(0), c = y.dim(1);
  double total = 0;
  for (int64_t k = 0; k < c; ++k) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(yq.data<float>()[i * c + k]) - y.data<float>()[i * c + k];
    total += std::fabs(s / double(n));
  }
  return total / double(c);
}

double mse(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += std::pow(double(a.data<float>()[i]) - b.data<float>()[i], 2);
  return s / double(a.numel());
}

// Weights whose small taps round to zero at 7 bits, all of one sign: their lost sum times the
// positive mean of the inputs shifts every output channel the same way.
void lopsided_weights(ir::Graph& g, const std::string& conv) {
  Tensor& w = init(g, conv + ".weight");
  const int64_t out = w.dim(0), per = w.numel() / out;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < per; ++i) w.data<float>()[o * per + i] = i == per / 2 ? 0.5f : 0.003f;
}

TEST(CompressQuantPlus, BiasCorrectionRemovesMeanShift) {
  ir::Graph g = dwnet();
  lopsided_weights(g, "dw");
  lopsided_weights(g, "conv1");
  const compress::CalibrationData calib{.data = images(128, 21), .samples = 128};
  const Tensor x = images(128, 31).x;
  const Tensor ref = run(g, x);
  compress::QuantReport plain_r, corrected_r;
  const Tensor plain = run(compress::quantize_static(g, {}, calib, &plain_r), x);
  const Tensor corrected = run(compress::quantize_static(g, {.bias_correction = true}, calib, &corrected_r), x);
  EXPECT_TRUE(plain_r.bias_corrections.empty());
  ASSERT_EQ(corrected_r.bias_corrections.size(), 4u);  // conv1, dw, pw, fc
  const double bias_before = mean_abs_class_bias(plain, ref), bias_after = mean_abs_class_bias(corrected, ref);
  const double mse_before = mse(plain, ref), mse_after = mse(corrected, ref);
  std::printf("[bias correction] held-out mean |E[y_q - y]| per class %.4g -> %.4g; logit MSE %.4g -> %.4g "
              "(largest shift taken off a bias: %s %.4g)\n",
              bias_before, bias_after, mse_before, mse_after, corrected_r.bias_corrections[1].node.c_str(),
              corrected_r.bias_corrections[1].max_abs_shift);
  EXPECT_LT(bias_after, bias_before / 4);
  EXPECT_LT(mse_after, mse_before);
}

// cnn-small whose layer2 conv reads a dead input channel (its BatchNorm shift keeps the Relu at 0)
// through huge weights: no effect in float, but each output channel's weight scale is set by the
// huge weight, so int8 rounds every other weight of layer2 to zero. The fc bias is set to centre
// the logits on the data (an untrained net's logits barely depend on its input otherwise), so that
// the argmax follows the input and breaking a layer shows in top-1.
ir::Graph broken_layer2() {
  ir::Graph g = train::build_model({.arch = "cnn-small", .input = {3, 16, 16}, .width = 8, .seed = 3});
  Tensor& beta = init(g, "layer1.bn.bias");
  beta.data<float>()[0] = -1e3f;
  Tensor& w = init(g, "layer2.conv.weight");
  const int64_t out = w.dim(0), per = w.numel() / out;
  for (int64_t o = 0; o < out; ++o) w.data<float>()[o * per + 4] = 50.f;  // input channel 0, centre tap
  const ir::Node& fc = g.nodes.back();
  const Tensor& fw = g.initializers.at(fc.inputs[1]);
  Tensor& fb = init(g, fc.inputs[2]);
  const int64_t classes = fw.dim(0), features = fw.dim(1);
  std::vector<double> mean(size_t(features), 0.0);
  const Tensor x = images(256, 99).x;
  compress::run_over_batches(g, {fc.inputs[0]}, {x}, 1, [&](size_t, const std::vector<Tensor>& y) {
    for (int64_t i = 0; i < y[0].dim(0); ++i)
      for (int64_t j = 0; j < features; ++j) mean[size_t(j)] += y[0].data<float>()[i * features + j] / double(x.dim(0));
  });
  for (int64_t k = 0; k < classes; ++k) {
    double b = 0;
    for (int64_t j = 0; j < features; ++j) b -= double(fw.data<float>()[k * features + j]) * mean[size_t(j)];
    fb.data<float>()[k] = float(b);
  }
  return g;
}

// Labels = the float model's own predictions: top-1 is the argmax agreement with float (100%).
train::Dataset labelled_by(const ir::Graph& g, train::Dataset d) {
  const Tensor y = run(g, d.x);
  d.y = Tensor(DType::kInt64, {y.dim(0)});
  for (int64_t i = 0; i < y.dim(0); ++i) {
    const float* row = y.data<float>() + i * y.dim(1);
    d.y.data<int64_t>()[i] = std::max_element(row, row + y.dim(1)) - row;
  }
  return d;
}

std::string find_node(const ir::Graph& g, const std::string& prefix) {
  for (const auto& n : g.nodes)
    if (n.name.rfind(prefix, 0) == 0 && n.op_type == "Conv") return n.name;
  return "";
}

TEST(CompressQuantPlus, SensitivityRanksBrokenLayerFirst) {
  const ir::Graph g = broken_layer2();
  compress::StaticQuantizer sq(g, {}, {.data = images(64, 21), .samples = 64});
  const auto table = compress::analyze_sensitivity(sq);
  ASSERT_EQ(table.size(), sq.candidates().size());
  for (const auto& s : table)
    std::printf("[sensitivity] %-16s %-5s output rel. MSE %.3e (SQNR %.1f dB), own output %.3e\n", s.node.c_str(),
                s.op_type.c_str(), s.output_rel_mse, s.output_sqnr_db, s.node_rel_mse);
  const std::string layer2 = find_node(sq.float_graph(), "layer2");
  ASSERT_FALSE(layer2.empty());
  EXPECT_EQ(table[0].node, layer2);
  EXPECT_GT(table[0].output_rel_mse, 10 * table[1].output_rel_mse);
  EXPECT_GT(table[0].node_rel_mse, 0.5);
}

TEST(CompressQuantPlus, FallbackReturnsBrokenLayerToFloat) {
  const ir::Graph g = broken_layer2();
  compress::StaticQuantizer sq(g, {}, {.data = images(64, 21), .samples = 64});
  const train::Dataset eval = labelled_by(g, images(128, 41));
  std::vector<std::string> order;
  for (const auto& s : compress::analyze_sensitivity(sq)) order.push_back(s.node);
  const double full = train::evaluate(sq.quantize(), eval).top1;
  // Budget 10 points: the broken layer costs ~97, the others together ~4 (margin for other ISAs).
  const auto r = compress::fall_back_until_accurate(sq, order, eval, {}, 1.0, 10.0);
  std::printf("[fallback] float 100%%, fully quantized %.1f%%, after %zu step(s) %.1f%% with %s in float\n", 100 * full,
              r.float_nodes.size(), 100 * r.top1, r.float_nodes.empty() ? "-" : r.float_nodes[0].c_str());
  EXPECT_LT(full, 0.5) << "the broken layer should cost far more than the budget";
  EXPECT_TRUE(r.met);
  EXPECT_FALSE(r.all_float);
  ASSERT_EQ(r.float_nodes.size(), 1u);
  EXPECT_EQ(r.float_nodes[0], find_node(sq.float_graph(), "layer2"));
  EXPECT_GE(r.top1, 0.9);
  EXPECT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.report.skipped.at("Conv"), 1);
  // A budget of 0 points on a model every layer of which costs something ends all float, and says so.
  const auto all = compress::fall_back_until_accurate(sq, order, eval, {}, 1.0 + 1e-3, 0.0);
  EXPECT_TRUE(all.all_float);
  EXPECT_EQ(all.float_nodes.size(), sq.candidates().size());
}

TEST(CompressQuantPlus, Cli) {
  const auto dir = test::data_tmp("quant_plus_cli");
  const std::string m = (dir / "broken.onnx").string(), eval = (dir / "eval.npz").string(),
                    calib = (dir / "calib.npz").string();
  const ir::Graph g = broken_layer2();
  onnx_io::save_model(g, m);
  train::save_npz(eval, labelled_by(g, images(128, 41)));
  train::save_npz(calib, images(64, 21));
  const std::string out = (dir / "q.onnx").string(), report = (dir / "q.json").string();
  // Bad combinations: one line, exit 2, nothing written.
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", calib, "--max-accuracy-drop", "1"}), 2);
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", calib, "--eval", eval,
                           "--max-accuracy-drop", "-3"}), 2);
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--bias-correction"}), 2);
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--analyze"}), 2);
  EXPECT_FALSE(test::fs::exists(out));
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", calib, "--analyze",
                           "--max-accuracy-drop", "10", "--eval", eval, "--report", report}), 0);
  ASSERT_TRUE(test::fs::exists(out));
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(report));
  ASSERT_TRUE(j.contains("sensitivity") && j.contains("fallback"));
  EXPECT_EQ(j["sensitivity"].size(), 5u);  // 4 convs and the fc
  EXPECT_TRUE(j["fallback"]["met"].get<bool>());
  ASSERT_EQ(j["fallback"]["float_nodes"].size(), 1u);
  EXPECT_EQ(j["fallback"]["float_nodes"][0], j["sensitivity"][0]["node"]);
  EXPECT_GE(j["eval"]["top1_after"].get<double>(), 0.9);
  // Equalization spreads the dead channel's huge weights over the layer before (the pair layer1 ->
  // layer2): the fully quantized model starts far closer to the budget.
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", calib, "--equalize",
                           "--bias-correction", "--max-accuracy-drop", "5", "--eval", eval, "--report", report}), 0);
  const nlohmann::json k = nlohmann::json::parse(std::ifstream(report));
  ASSERT_TRUE(k.contains("equalization") && k.contains("bias_correction") && k.contains("fallback"));
  EXPECT_EQ(k["equalization"]["pairs"].size(), 3u);
  EXPECT_GT(k["bias_correction"].size(), 0u);
  EXPECT_GT(k["fallback"]["steps"][0]["top1"].get<double>(), j["fallback"]["steps"][0]["top1"].get<double>() + 0.5);
  EXPECT_TRUE(k["fallback"]["met"].get<bool>());
  // Equalization also runs before dynamic quantization.
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--equalize"}), 0);
}

}  // namespace
}  // namespace shrink
