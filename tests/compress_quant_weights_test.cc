// Weight storage of post-training quantization (compress/quant): MSE-optimal weight scales leave less
// weight error than max-abs ones; static MatMul / Gemm weights are per tensor unless per_channel;
// embedding tables (Gather data, a position table added to it) are int8 behind DequantizeLinear in
// both modes, counted in the weight bytes, folded back to float tables by the runtime.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "cli/cli_main.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "compress/quant/static_quantizer.h"
#include "core/file_io.h"
#include "core/rng.h"
#include "graph_test_util.h"
#include "ir/builder.h"
#include "onnx/model_io.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/model_zoo.h"
#include "train_data_util.h"

namespace shrink {
namespace {

using compress::WeightScale;

// [channels, k] Laplace weights (heavier tails than a Gaussian, as trained weights often have),
// channel c scaled by 1 + c: a few large values set max |w| far above where most weights are.
Tensor heavy_tailed(int64_t channels, int64_t k, uint64_t seed) {
  Rng rng(seed);
  Tensor w(DType::kFloat32, {channels, k});
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < k; ++i) {
      const float u = rng.uniform(-1.f, 1.f);
      w.data<float>()[c * k + i] = float(1 + c) * (u < 0 ? 1.f : -1.f) * std::log(std::max(1e-12f, 1.f - std::fabs(u)));
    }
  return w;
}

TEST(CompressQuantWeights, MseScalesLeaveLessErrorThanMaxAbs) {
  const Tensor w = heavy_tailed(8, 2304, 5);  // a 256-channel 3x3 conv's output channels
  for (bool reduce_range : {true, false}) {
    SCOPED_TRACE(reduce_range ? "7-bit" : "8-bit");
    const auto max = compress::quantize_weight(w, 0, reduce_range, WeightScale::kMaxAbs);
    const auto mse = compress::quantize_weight(w, 0, reduce_range, WeightScale::kMse);
    const double e_max = compress::weight_error(w, max, 0), e_mse = compress::weight_error(w, mse, 0);
    std::printf("[weights %s] squared error max-abs %.4g, mse %.4g\n", reduce_range ? "7-bit" : "8-bit", e_max, e_mse);
    EXPECT_LT(e_mse, 0.98 * e_max);  // measured 0.96 (7-bit), 0.97 (8-bit): a few tail values clipped
    const float qmax = reduce_range ? 64.f : 127.f;
    int clipped = 0;
    for (int64_t c = 0; c < 8; ++c) {
      EXPECT_LE(mse.scale.data<float>()[c], max.scale.data<float>()[c]);
      EXPECT_GE(mse.scale.data<float>()[c], 0.5f * max.scale.data<float>()[c] * (1 - 1e-6f));
      clipped += mse.scale.data<float>()[c] < max.scale.data<float>()[c];
    }
    EXPECT_GT(clipped, 0);
    for (int64_t i = 0; i < w.numel(); ++i) EXPECT_LE(std::abs(int(mse.q.data<int8_t>()[i])), int(qmax));
  }
  // Uniform weights: nothing worth clipping, never worse than max-abs; an all-zero channel gets scale 1.
  Tensor u = test_util::random_tensor({4, 64}, 9);
  for (int64_t i = 0; i < 64; ++i) u.data<float>()[3 * 64 + i] = 0;
  const auto umax = compress::quantize_weight(u, 0, true, WeightScale::kMaxAbs);
  const auto umse = compress::quantize_weight(u, 0, true, WeightScale::kMse);
  EXPECT_LE(compress::weight_error(u, umse, 0), compress::weight_error(u, umax, 0));
  EXPECT_EQ(umse.scale.data<float>()[3], 1.f);
  EXPECT_EQ(compress::parse_weight_scale("max"), WeightScale::kMaxAbs);
  EXPECT_THROW(compress::parse_weight_scale("l2"), Error);
}

// The node of type `op` producing value v, or null.
const ir::Node* producer(const ir::Graph& g, const std::string& v, const char* op) {
  for (const auto& n : g.nodes)
    if (n.op_type == op && !n.outputs.empty() && n.outputs[0] == v) return &n;
  return nullptr;
}

// Static quantization's default weight scales are the MSE-optimal ones: on a CNN (BatchNorm folded)
// no layer's weight error is above max-abs scaling's, and the total is below.
TEST(CompressQuantWeights, StaticDefaultsToMseScales) {
  const ir::Graph g = train::build_model({.arch = "cnn-small", .input = {3, 32, 32}, .seed = 3});
  const compress::CalibrationData calib{.data = train::synth_images(32, 4), .samples = 32};
  double total[2] = {0, 0};
  for (WeightScale ws : {WeightScale::kMse, WeightScale::kMaxAbs}) {
    compress::StaticQuantConfig config;
    if (ws == WeightScale::kMaxAbs) config.weight_scale = ws;
    const compress::StaticQuantizer sq(g, config, calib);
    const ir::Graph q = sq.quantize();
    for (const auto& n : q.nodes) {
      if (n.op_type != "Conv" && n.op_type != "Gemm") continue;
      const ir::Node* dq = producer(q, n.inputs[1], "DequantizeLinear");
      ASSERT_NE(dq, nullptr) << n.name;
      const Tensor* w = nullptr;
      for (const auto& f : sq.float_graph().nodes)
        if (f.name == n.name) w = sq.float_graph().initializer(f.inputs[1]);
      ASSERT_NE(w, nullptr) << n.name;
      const compress::QuantizedWeight qw{q.initializers.at(dq->inputs[0]), q.initializers.at(dq->inputs[1]),
                                         q.initializers.at(dq->inputs[2])};
      const int64_t axis = qw.scale.numel() == 1 ? -1 : 0;  // Conv: output channels (axis 0)
      total[ws == WeightScale::kMaxAbs] += compress::weight_error(*w, qw, axis);
    }
  }
  std::printf("[cnn-small weights] squared error mse %.4g, max-abs %.4g\n", total[0], total[1]);
  EXPECT_LT(total[0], total[1]);
}

ir::Graph transformer(int64_t length = 32) {
  return train::build_model({.arch = "transformer", .input = {length}, .seed = 3});
}

// Both embedding tables are int8 initializers behind a per-tensor DequantizeLinear; the report counts
// them; the runtime folds them into float tables (no DequantizeLinear at run time before the Gather).
void expect_int8_embeddings(const ir::Graph& f, const ir::Graph& q, const compress::QuantReport& r) {
  const Tensor& token = f.initializers.at("embed.token.weight");
  const Tensor& position = f.initializers.at("embed.position");
  EXPECT_EQ(r.quantized.at("Gather"), 1);
  EXPECT_EQ(r.quantized.at("Add"), 1);
  EXPECT_FALSE(q.is_initializer("embed.token.weight"));
  EXPECT_FALSE(q.is_initializer("embed.position"));
  int64_t checked = 0;
  for (const auto& n : q.nodes) {
    const bool gather = n.op_type == "Gather", add = n.name == "embed.add_position";
    if (!gather && !add) continue;
    const ir::Node* dq = nullptr;
    for (const auto& in : n.inputs) dq = dq ? dq : producer(q, in, "DequantizeLinear");
    ASSERT_NE(dq, nullptr) << n.name;
    const Tensor* table = q.initializer(dq->inputs[0]);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->dtype(), DType::kInt8);
    EXPECT_EQ(table->shape(), gather ? token.shape() : position.shape());
    EXPECT_EQ(q.initializers.at(dq->inputs[1]).numel(), 1);  // one scale
    ++checked;
  }
  EXPECT_EQ(checked, 2);
  // Weight bytes: the matrices' and both tables'; every byte of a table after is int8 + scale + zero point.
  int64_t matrices = 0;
  for (const auto& n : f.nodes)
    if ((n.op_type == "MatMul" || n.op_type == "Gemm") && f.is_initializer(n.inputs[1]))
      matrices += int64_t(f.initializers.at(n.inputs[1]).nbytes());
  EXPECT_EQ(r.weight_bytes_before, matrices + int64_t(token.nbytes() + position.nbytes()));
  EXPECT_GE(double(r.weight_bytes_before) / double(r.weight_bytes_after), 3.9);
  runtime::Session s(q);
  for (const auto& n : s.graph().nodes)
    if (n.op_type == "Gather") {
      ASSERT_TRUE(s.graph().is_initializer(n.inputs[0])) << "DequantizeLinear of the table was not folded";
      EXPECT_EQ(s.graph().initializers.at(n.inputs[0]).dtype(), DType::kFloat32);
    }
}

TEST(CompressQuantWeights, EmbeddingTablesInt8Static) {
  const ir::Graph f = transformer();
  const train::Dataset seq = train::synth_sequences(64, 5);
  compress::QuantReport r;
  const ir::Graph q = compress::quantize_static(f, {}, {.data = seq, .samples = 64}, &r);
  ir::verify(q);
  expect_int8_embeddings(f, q, r);
  const test_util::Closeness c = test_util::closeness(runtime::Session(f).run({seq.x})[0], runtime::Session(q).run({seq.x})[0]);
  EXPECT_GE(c.top1, 0.95);
  EXPECT_LT(c.rel_err, 0.05);
  // The 64-row attention weights are per tensor by default (per-column scales would cost 8% of
  // their bytes), per column with per_channel.
  for (bool per_channel : {false, true}) {
    const ir::Graph p = compress::quantize_static(f, {.per_channel = per_channel}, {.data = seq, .samples = 64});
    for (const auto& n : p.nodes)
      if (n.name == "layer0.attn.q") {
        const ir::Node* dq = producer(p, n.inputs[1], "DequantizeLinear");
        ASSERT_NE(dq, nullptr);
        EXPECT_EQ(p.initializers.at(dq->inputs[1]).numel(), per_channel ? 64 : 1);
      }
  }
  // Without Gather in the op types the tables stay float.
  const ir::Graph nog = compress::quantize_static(f, {.op_types = {"MatMul", "Gemm"}}, {.data = seq, .samples = 64});
  EXPECT_TRUE(nog.is_initializer("embed.token.weight"));
  EXPECT_TRUE(nog.is_initializer("embed.position"));
}

TEST(CompressQuantWeights, EmbeddingTablesInt8Dynamic) {
  const ir::Graph f = transformer();
  compress::QuantReport r;
  const ir::Graph q = compress::quantize_dynamic(f, {}, &r);
  ir::verify(q);
  expect_int8_embeddings(f, q, r);
  const Tensor x = train::synth_sequences(64, 7).x;
  const test_util::Closeness c = test_util::closeness(runtime::Session(f).run({x})[0], runtime::Session(q).run({x})[0]);
  EXPECT_GE(c.top1, 0.95);
  EXPECT_LT(c.rel_err, 0.05);
}

// A table also read by something other than Gather (a tied output projection) is left alone.
TEST(CompressQuantWeights, SharedTableStaysFloat) {
  ir::Graph g = transformer(64);
  for (auto& n : g.nodes)
    if (n.name == "embed.add_position") n.inputs[1] = "embed.token.weight";  // [64, 64] == [L, D] here
  ASSERT_EQ(g.initializers.at("embed.token.weight").shape(), g.initializers.at("embed.position").shape());
  compress::QuantReport r;
  const ir::Graph q = compress::quantize_dynamic(g, {}, &r);
  EXPECT_TRUE(q.is_initializer("embed.token.weight"));
  EXPECT_FALSE(r.quantized.count("Gather"));
}

TEST(CompressQuantWeights, CliWeightScaleAndReport) {
  const auto dir = test::data_tmp("quant_weights_cli");
  const std::string m = (dir / "t.onnx").string(), d = (dir / "data").string(), out = (dir / "q.onnx").string();
  ASSERT_EQ(cli::cli_main({"init", "transformer", "-o", m}), 0);
  ASSERT_EQ(cli::cli_main({"data", "synth", "--task", "sequences", "--train", "64", "--test", "32", "-o", d}), 0);
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--weight-scale", "l2"}), 2);
  EXPECT_FALSE(test::fs::exists(out));
  const std::string report = (dir / "q.json").string();
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", d + "/train.npz", "--calib-samples",
                           "32", "--report", report}), 0);
  const ir::Graph q = onnx_io::load_model(out);
  const ir::Node* gather = nullptr;
  for (const auto& n : q.nodes) gather = n.op_type == "Gather" ? &n : gather;
  ASSERT_NE(gather, nullptr);
  EXPECT_NE(producer(q, gather->inputs[0], "DequantizeLinear"), nullptr) << "the exported token table is not int8";
  EXPECT_NE(read_file(report).find("\"weight_scale\": \"mse\""), std::string::npos);  // static's default
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--report", report}), 0);
  EXPECT_NE(read_file(report).find("\"weight_scale\": \"max\""), std::string::npos);  // dynamic's
}

}  // namespace
// Static MatMul / Gemm weights are per column by default where the layer has >= 250 input rows
// (scales then cost <= 2% of its int8 bytes) and per tensor on smaller ones; per_tensor forces one
// scale, per_channel one per column everywhere. The weight bytes stay >= 3.9x smaller by default.
TEST(CompressQuantWeights, StaticMatMulPerColumnWhereCheap) {
  const ir::Graph big = train::build_model({.arch = "mlp", .input = {784}, .width = 300, .seed = 4});
  const ir::Graph small = train::build_model({.arch = "mlp", .input = {100}, .width = 40, .seed = 4});
  struct Mode {
    compress::StaticQuantConfig config;
    const char* name;
  };
  for (const auto& [config, name] : {Mode{{}, "auto"}, Mode{{.per_channel = true}, "per_channel"},
                                     Mode{{.per_tensor = true}, "per_tensor"}}) {
    for (const bool is_big : {true, false}) {
      SCOPED_TRACE(std::string(name) + (is_big ? " big" : " small"));
      const int64_t in = is_big ? 784 : 100;
      Rng rng(9);
      Tensor x(DType::kFloat32, {32, in});
      for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 1.f);
      compress::QuantReport r;
      const ir::Graph q = compress::quantize_static(is_big ? big : small, config, {.data = {.x = x}, .samples = 32}, &r);
      int64_t weights = 0, per_column = 0;
      for (const auto& n : q.nodes) {
        if (n.op_type != "DequantizeLinear" || !q.is_initializer(n.inputs[0])) continue;
        const Tensor& w = q.initializers.at(n.inputs[0]);
        if (w.rank() != 2) continue;
        ++weights;
        const int64_t scales = q.initializers.at(n.inputs[1]).numel();
        auto axis = n.attrs.find("axis");
        const int64_t cols = scales > 1 && axis != n.attrs.end() ? w.dim(std::get<int64_t>(axis->second)) : 0;
        const int64_t rows = cols ? w.numel() / cols : std::max(w.dim(0), w.dim(1));
        const bool want = config.per_channel || (!config.per_tensor && rows >= compress::kPerChannelMinRows);
        if (scales > 1) ++per_column;
        EXPECT_EQ(scales > 1, want) << n.name << " " << shape_str(w.shape());
        if (scales > 1) {
          EXPECT_EQ(scales, cols) << n.name;
        }
      }
      EXPECT_GE(weights, 2);
      if (std::string(name) == "auto") {
        EXPECT_EQ(per_column > 0, is_big);  // the 784- and 300-row layers
      }
      if (!config.per_channel) {
        EXPECT_GE(double(r.weight_bytes_before) / double(r.weight_bytes_after), 3.9);
      }
    }
  }
}

// A MatMul weight with no output columns quantizes (per tensor or per column) without a crash.
TEST(CompressQuantWeights, EmptyMatMulWeight) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {300, ""}}, ""});
  const std::string y = b.op("MatMul", {"x", b.constant("w", Tensor(DType::kFloat32, {300, 0}))}, {}, "mm");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  Tensor x(DType::kFloat32, {8, 300});
  for (const bool per_channel : {false, true}) {
    const ir::Graph q = compress::quantize_static(g, {.per_channel = per_channel}, {.data = {.x = x}, .samples = 8});
    EXPECT_EQ(runtime::Session(q).run({x})[0].shape(), (Shape{8, 0}));
  }
}

}  // namespace shrink
