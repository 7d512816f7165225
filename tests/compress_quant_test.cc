// Post-training quantization (compress/quant): dynamic and static QDQ on `shrink init` models with
// synthetic data must verify, run on the int8 kernels, stay close to the float model (argmax
// agreement) and shrink the quantized weights ~4x; observers on known distributions; bad input;
// the exported QDQ model passes onnx.checker; `shrink quantize` end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "cli/cli_main.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "core/npy.h"
#include "core/rng.h"
#include "onnx/model_io.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "graph_test_util.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/model_zoo.h"
#include "train_data_util.h"

namespace shrink {
namespace {

using compress::QuantReport;

train::Dataset images(int64_t n, uint64_t seed) { return train::synth_images(n, seed); }

struct Agreement {
  double top1 = 0;       // share of samples with the same argmax
  double rel_err = 0;    // ||y_q - y|| / ||y|| over all logits
  std::set<std::string> kernels;
  int64_t int8_ops = 0;                  // com.shrink QConv / QMatMul after the runtime's fusion
  std::map<std::string, int64_t> left;   // quantization ops the fusion left standing
};

Agreement compare(const ir::Graph& ref, const ir::Graph& q, const Tensor& x) {
  runtime::Session a(ref), b(q);
  const Tensor ya = a.run({x})[0], yb = b.run({x})[0];
  Agreement r;
  for (const auto& [node, kernel] : b.kernel_names()) r.kernels.insert(kernel);
  for (const auto& n : b.graph().nodes) {
    if (n.domain == "com.shrink" && (n.op_type == "QConv" || n.op_type == "NhwcQConv" || n.op_type == "QMatMul")) ++r.int8_ops;
    for (const char* op : {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger",
                           "MatMulIntegerScaled"})
      if (n.op_type == op) ++r.left[op];
  }
  const test_util::Closeness c = test_util::closeness(ya, yb);
  r.top1 = c.top1;
  r.rel_err = c.rel_err;
  return r;
}

ir::Graph model(const std::string& arch) {
  train::ModelSpec s{.arch = arch, .seed = 3};
  if (arch != "transformer") s.input = {3, 32, 32};
  return train::build_model(s);
}

void expect_dynamic(const std::string& arch, bool per_channel, const Tensor& x) {
  SCOPED_TRACE(arch + (per_channel ? " per-channel" : " per-tensor"));
  const ir::Graph g = model(arch);
  QuantReport r;
  const ir::Graph q = compress::quantize_dynamic(g, {.per_channel = per_channel}, &r);
  ir::verify(q);
  EXPECT_GT(r.quantized.size(), 0u);
  EXPECT_GE(double(r.weight_bytes_before) / double(r.weight_bytes_after), 3.5);
  EXPECT_LT(r.bytes_after, r.bytes_before);
  const Agreement a = compare(g, q, x);
  EXPECT_TRUE(a.kernels.count("cpu:qmatmul-avx2") || a.kernels.count("onednn:qmatmul")) << "int8 matmul kernel not used";
  int64_t quantized = 0, activation_matmuls = 0;  // attention's: MatMulIntegerScaled at run time
  for (const auto& [op, k] : r.quantized)  // embedding tables (Gather, Add) are folded to float, not int8 ops
    if (op != "Gather" && op != "Add") quantized += k;
  for (const auto& n : q.nodes) activation_matmuls += n.op_type == "MatMulInteger" && !q.is_initializer(n.inputs[1]);
  EXPECT_EQ(a.int8_ops + activation_matmuls, quantized) << "not every quantized node became an int8 op";
  EXPECT_EQ(a.left.count("MatMulInteger"), 0u);
  EXPECT_EQ(a.left.count("MatMulIntegerScaled") ? a.left.at("MatMulIntegerScaled") : 0, activation_matmuls);
  EXPECT_GE(a.top1, 0.95);
  EXPECT_LT(a.rel_err, 0.05);
  std::printf("[dynamic %s %s] top-1 agreement %.3f, relative logit error %.4f, weights %lld -> %lld bytes\n",
              arch.c_str(), per_channel ? "per-channel" : "per-tensor", a.top1, a.rel_err,
              (long long)r.weight_bytes_before, (long long)r.weight_bytes_after);
}

TEST(CompressQuant, DynamicMlpCnnTransformer) {
  const Tensor x = images(64, 11).x;
  for (bool pc : {false, true}) {
    expect_dynamic("mlp", pc, x);
    expect_dynamic("cnn-small", pc, x);
    expect_dynamic("transformer", pc, train::synth_sequences(64, 5).x);
  }
}

// PyTorch's exporter shares equal weights through Identity(initializer) (nn.TransformerEncoder's
// deep-copied layers): such weights are quantized, once, however many nodes read them.
TEST(CompressQuant, DynamicSharedWeightsThroughIdentity) {
  ir::Graph g = train::build_model({.arch = "mlp", .input = {16}, .width = 16, .depth = 2, .seed = 2});
  std::vector<ir::Node*> matmuls;
  for (auto& n : g.nodes)
    if (n.op_type == "MatMul" || n.op_type == "Gemm") matmuls.push_back(&n);
  ASSERT_EQ(matmuls.size(), 3u);
  const std::string shared = matmuls[1]->inputs[1];
  ASSERT_EQ(g.initializers.at(matmuls[0]->inputs[1]).shape(), g.initializers.at(shared).shape());
  ir::Node id;
  id.op_type = "Identity";
  id.name = "shared_weight";
  id.inputs = {shared};
  id.outputs = {"shared_weight_out"};
  matmuls[0]->inputs[1] = matmuls[1]->inputs[1] = "shared_weight_out";
  g.nodes.insert(g.nodes.begin(), id);
  g = passes::eliminate_dead_code(std::move(g));
  ops::bind_all(g);
  ir::verify(g);
  QuantReport r;
  const ir::Graph q = compress::quantize_dynamic(g, {}, &r);
  int64_t quantized = 0, readers = 0, identities = 0;
  for (const auto& [op, k] : r.quantized) quantized += k;
  EXPECT_EQ(quantized, 3);
  EXPECT_TRUE(r.skipped.empty());
  for (const auto& n : q.nodes) {
    identities += n.op_type == "Identity";
    readers += n.op_type == "MatMulInteger" && n.inputs[1] == shared + "_quantized";
  }
  EXPECT_EQ(identities, 0);
  EXPECT_EQ(readers, 2) << "the shared weight is quantized once, for both readers";
  EXPECT_LT(r.bytes_after, r.bytes_before / 3);
  Rng rng(4);
  Tensor x(DType::kFloat32, {64, 16});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 1.f);
  const Agreement a = compare(g, q, x);
  EXPECT_EQ(a.int8_ops, 3);
  EXPECT_GE(a.top1, 0.95);
  EXPECT_LT(a.rel_err, 0.05);
}

// A dynamic QMatMul reads its constant weight scales and bias on every run (the x scale is known
// only then). The session once handed kernels pointers into a per-step vector that a later node with
// more inputs (here a Concat of 9) reallocates: from the second run the scales were freed memory
// (x_scale = inf errors, garbage logits; ASan: heap-use-after-free).
TEST(CompressQuant, DynamicScalesStayValidAcrossRuns) {
  ir::Graph g = compress::quantize_dynamic(model("mlp"), {});
  const std::string logits = g.outputs[0].name;
  ir::Node cat;
  cat.op_type = "Concat";
  cat.name = "wide_concat";
  cat.inputs.assign(9, logits);
  cat.outputs = {"wide"};
  cat.attrs["axis"] = int64_t(1);
  g.nodes.push_back(cat);
  g.outputs.push_back({"wide", DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  ir::verify(g);
  const Tensor x = images(4, 12).x;
  const Tensor once = runtime::Session(g).run({x})[0];
  runtime::Session s(g);
  for (int run = 0; run < 4; ++run) {
    const Tensor y = s.run({x})[0];
    ASSERT_EQ(y.numel(), once.numel());
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y.data<float>()[i], once.data<float>()[i]) << "run " << run;
  }
}

ir::Graph expect_static(const std::string& arch, const std::string& method, DType act, QuantReport& r) {
  SCOPED_TRACE(arch + " " + method);
  const ir::Graph g = model(arch);
  compress::StaticQuantConfig c{.activation_type = act, .method = method};
  const ir::Graph q = compress::quantize_static(g, c, {.data = images(64, 21), .samples = 64}, &r);
  ir::verify(q);
  EXPECT_EQ(r.calibration_samples, 64);
  EXPECT_GE(double(r.weight_bytes_before) / double(r.weight_bytes_after), 3.5);
  const Agreement a = compare(g, q, images(64, 31).x);
  EXPECT_TRUE(a.kernels.count("onednn:qconv") || a.kernels.count("onednn:qconv-nhwc")) << "int8 conv kernel not used";
  int64_t quantized = 0;
  for (const auto& [op, k] : r.quantized) quantized += k;
  EXPECT_EQ(a.int8_ops, quantized) << "not every quantized node became an int8 op";
  for (const auto& [op, k] : a.left) std::printf("  left after fusion: %s x%lld\n", op.c_str(), (long long)k);
  // Every observer, entropy included (its KL search skips exact zeros, else the ReLU spike at 0
  // made it clip the positive tail hard and flip ~10% of these argmaxes).
  EXPECT_GE(a.top1, 0.95) << method;
  EXPECT_LT(a.rel_err, 0.02) << method;
  int64_t qdq = 0;
  for (const auto& n : q.nodes) qdq += n.op_type == "QuantizeLinear";
  std::printf("[static %s %s %s] top-1 agreement %.3f, relative logit error %.4f, %lld QuantizeLinear, "
              "weights %lld -> %lld bytes\n",
              arch.c_str(), method.c_str(), std::string(dtype_name(act)).c_str(), a.top1, a.rel_err, (long long)qdq,
              (long long)r.weight_bytes_before, (long long)r.weight_bytes_after);
  return q;
}

TEST(CompressQuant, StaticCnnSmallAllMethods) {
  for (const auto& m : compress::observer_methods()) {
    QuantReport r;
    expect_static("cnn-small", m.name, DType::kUInt8, r);
    EXPECT_GE(r.quantized["Conv"], 2) << m.name;
  }
  QuantReport r;
  expect_static("cnn-small", "minmax", DType::kInt8, r);
}

TEST(CompressQuant, SymmetricActivations) {
  for (DType act : {DType::kUInt8, DType::kInt8}) {
    const ir::Graph g = model("cnn-small");
    compress::StaticQuantConfig c{.activation_type = act, .symmetric_activations = true};
    QuantReport r;
    const ir::Graph q = compress::quantize_static(g, c, {.data = images(64, 21), .samples = 64}, &r);
    ASSERT_FALSE(r.ranges.empty());
    for (const auto& t : r.ranges) {
      EXPECT_EQ(t.zero_point, act == DType::kUInt8 ? 128 : 0) << t.tensor;
      const double m = std::max(std::fabs(t.range.lo), std::fabs(t.range.hi));
      if (m > 0) {
        EXPECT_NEAR(t.scale, 2 * m / 255, 1e-6 * m) << t.tensor;
      }
    }
    const Agreement a = compare(g, q, images(64, 31).x);
    EXPECT_GE(a.top1, 0.95);
    EXPECT_LT(a.rel_err, 0.03);
  }
}

TEST(CompressQuant, StaticResnetPassesOnnxChecker) {
  QuantReport r;
  const ir::Graph q = expect_static("resnet", "percentile", DType::kUInt8, r);
  EXPECT_GT(r.quantized["Conv"], 10);
  for (const auto& n : q.nodes) EXPECT_NE(n.op_type, "BatchNormalization");
  // The logits stay float: no QuantizeLinear reads the graph output.
  for (const auto& n : q.nodes)
    if (n.op_type == "QuantizeLinear") {
      EXPECT_NE(n.inputs[0], q.outputs[0].name);
    }
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1"), 0)
      << "python3-onnx is missing: run scripts/install_peers.sh";
  const auto dir = test::data_tmp("quant_checker");
  const std::string path = (dir / "resnet_qdq.onnx").string();
  onnx_io::save_model(q, path);
  const std::string cmd = "/usr/bin/python3 -c \"import onnx; onnx.checker.check_model(onnx.load('" + path +
                          "'), full_check=True)\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// ONNX Runtime (onnxruntime-node from scripts/install_peers.sh) runs both forms as written and agrees
// with shrink's int8 kernels.
TEST(CompressQuant, OnnxRuntimeAgrees) {
  const char* env = std::getenv("SHRINK_PEERS_DIR");
  const std::string peers = env ? env : SHRINK_SOURCE_DIR "/build/peers";
  ASSERT_TRUE(test::fs::exists(peers + "/node_modules/onnxruntime-node"))
      << "onnxruntime-node is not installed under " << peers << ": run scripts/install_peers.sh";
  const auto dir = test::data_tmp("quant_ort");
  const Tensor x = images(16, 41).x;
  write_npy((dir / "x.npy").string(), x);
  QuantReport r;
  const std::vector<std::pair<std::string, ir::Graph>> models = {
      {"static", compress::quantize_static(model("cnn-small"), {}, {.data = images(64, 21)})},
      {"dynamic", compress::quantize_dynamic(model("mlp"), {.per_channel = true})}};
  for (const auto& [name, q] : models) {
    const std::string path = (dir / (name + ".onnx")).string(), out = (dir / name).string();
    onnx_io::save_model(q, path);
    const std::string cmd = "SHRINK_PEERS_DIR='" + peers + "' node '" SHRINK_SOURCE_DIR "/tests/oracles/ort_run.js' '" +
                            path + "' '" + out + "' '" + (dir / "x.npy").string() + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << name;
    const Tensor ort = read_npy(out + "/" + q.outputs[0].name + ".npy");
    runtime::Session s(q);
    const Tensor ours = s.run({x})[0];
    ASSERT_EQ(ort.shape(), ours.shape());
    double diff = 0, scale = 1e-30;
    for (int64_t i = 0; i < ours.numel(); ++i) {
      diff = std::max(diff, std::fabs(double(ours.data<float>()[i]) - ort.data<float>()[i]));
      scale = std::max(scale, std::fabs(double(ort.data<float>()[i])));
    }
    std::printf("[onnxruntime %s] max |shrink - ORT| %.3g (max |logit| %.3g)\n", name.c_str(), diff, scale);
    EXPECT_LT(diff, 1e-3 * scale) << name;
  }
}

TEST(CompressQuant, ExcludeNormalizeAndDeterminism) {
  const ir::Graph g = model("cnn-small");
  std::string first_conv;
  for (const auto& n : g.nodes)
    if (n.op_type == "Conv" && first_conv.empty()) first_conv = n.name;
  QuantReport all, excluded;
  const compress::CalibrationData calib{.data = images(32, 4), .mean = {0.5f}, .std = {0.25f}};
  const ir::Graph a = compress::quantize_static(g, {.method = "percentile"}, calib, &all);
  const ir::Graph b = compress::quantize_static(g, {.method = "percentile"}, calib);
  EXPECT_EQ(onnx_io::export_model(a), onnx_io::export_model(b)) << "not deterministic";
  compress::quantize_static(g, {.exclude = {first_conv}}, calib, &excluded);
  EXPECT_EQ(excluded.quantized["Conv"], all.quantized["Conv"] - 1);
  EXPECT_EQ(excluded.skipped["Conv"], 1);
  // Normalized inputs reach below 0: the input's range says so.
  EXPECT_EQ(all.ranges.front().tensor, g.inputs[0].name);
  EXPECT_FLOAT_EQ(all.ranges.front().range.lo, -2.f);
}

std::vector<float> gaussian_with_outlier(int64_t n) {
  Rng rng(7);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = float(rng.normal());
  v[static_cast<size_t>(n / 2)] = 100.f;
  return v;
}

TEST(CompressQuant, Observers) {
  const std::vector<float> v = gaussian_with_outlier(100000);
  float lo = 0;
  for (float x : v) lo = std::min(lo, x);
  auto mm = compress::make_observer("minmax");
  mm->observe(v.data(), 50000);
  mm->observe(v.data() + 50000, 50000);
  EXPECT_EQ(mm->range().lo, lo);
  EXPECT_EQ(mm->range().hi, 100.f);
  // One outlier at 100 sigma: percentile and entropy clip it (entropy's threshold is at least 256 of
  // the 2048 bins). MSE keeps it (its squared clipping error outweighs the rounding noise of 1e5
  // values), but clips the tail of a heavy-tailed distribution.
  for (const char* m : {"percentile", "entropy", "mse"}) {
    auto o = compress::make_observer(m);
    for (int64_t k = 0; k < 10; ++k) o->observe(v.data() + k * 10000, 10000);
    const compress::Range r = o->range();
    std::printf("[observer %s] N(0,1) + one outlier at 100: range [%.3f, %.3f]\n", m, r.lo, r.hi);
    if (std::string(m) != "mse") {
      EXPECT_LT(r.hi, 20.f) << m << " did not clip the outlier";
    }
    EXPECT_GT(r.hi, 1.5f) << m << " clipped the bulk";
    EXPECT_LT(r.lo, -1.5f) << m;
  }
  Rng rng(9);
  std::vector<float> laplace(100000);
  float amax = 0;
  for (auto& x : laplace) {
    const double u = rng.uniform() - 0.5;
    x = float((u < 0 ? 1 : -1) * std::log(1 - 2 * std::fabs(u)));
    amax = std::max(amax, std::fabs(x));
  }
  auto mse = compress::make_observer("mse");
  mse->observe(laplace.data(), int64_t(laplace.size()));
  std::printf("[observer mse] Laplace(1), max |x| %.3f: range [%.3f, %.3f]\n", amax, mse->range().lo, mse->range().hi);
  EXPECT_LT(std::max(-mse->range().lo, mse->range().hi), 0.95f * amax);
  EXPECT_GT(mse->range().hi, 4.f);
  auto ema = compress::make_observer("ema");
  ema->observe(v.data(), 10);
  EXPECT_LE(ema->range().lo, ema->range().hi);
  const std::vector<float> zeros(100, 0.f);
  for (const auto& m : compress::observer_methods()) {
    auto o = m.make({});
    o->observe(zeros.data(), int64_t(zeros.size()));
    for (DType t : {DType::kUInt8, DType::kInt8}) {
      const compress::QuantParams p = compress::activation_params(o->range(), t);
      EXPECT_GT(p.scale, 0.f) << m.name;
      EXPECT_TRUE(std::isfinite(p.scale)) << m.name;
    }
  }
  const compress::QuantParams p = compress::activation_params({-1.f, 3.f}, DType::kUInt8);
  EXPECT_FLOAT_EQ(p.scale, 4.f / 255.f);
  EXPECT_EQ(p.zero_point, 64);
}

TEST(CompressQuant, WeightsSevenBitByDefault) {
  Tensor w = Tensor::from_vector<float>({-2.f, 1.f, 0.5f, 0.f, 0.f, 0.f}, {3, 2});
  const auto r = compress::quantize_weight(w, 0, true);
  EXPECT_EQ(r.q.data<int8_t>()[0], -64);
  EXPECT_EQ(r.q.data<int8_t>()[1], 32);
  EXPECT_EQ(r.scale.data<float>()[2], 1.f);  // all-zero channel
  const auto full = compress::quantize_weight(w, -1, false);
  EXPECT_EQ(full.q.data<int8_t>()[0], -127);
}

ErrorKind error_kind(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  return ErrorKind::kInternal;
}

TEST(CompressQuant, BadInput) {
  const ir::Graph g = model("cnn-small");
  std::string msg;
  // Calibration data whose samples do not fit the model.
  EXPECT_EQ(error_kind([&] { compress::quantize_static(g, {}, {.data = train::synth_images(8, 1, {.size = 28})}); }, &msg),
            ErrorKind::kBadInput);
  EXPECT_NE(msg.find("calibration data"), std::string::npos) << msg;
  train::Dataset nan = images(40, 2);
  nan.x.data<float>()[35 * 3 * 32 * 32 + 5] = std::nanf("");
  EXPECT_EQ(error_kind([&] { compress::quantize_static(g, {}, {.data = nan, .batch = 16}); }, &msg),
            ErrorKind::kBadInput);
  EXPECT_NE(msg.find("batch 3"), std::string::npos) << msg;
  EXPECT_EQ(error_kind([&] { compress::quantize_static(g, {.method = "magic"}, {.data = images(8, 1)}); }, &msg),
            ErrorKind::kBadInput);
  EXPECT_EQ(error_kind([&] { compress::quantize_dynamic(g, {.op_types = {"Relu"}}); }), ErrorKind::kBadInput);
}

TEST(CompressQuant, Cli) {
  const auto dir = test::data_tmp("quant_cli");
  const std::string m = (dir / "cnn.onnx").string(), d = (dir / "data").string();
  ASSERT_EQ(cli::cli_main({"init", "cnn-small", "--input", "3x32x32", "-o", m}), 0);
  ASSERT_EQ(cli::cli_main({"data", "synth", "--train", "64", "--test", "32", "-o", d}), 0);
  const std::string out = (dir / "q.onnx").string(), report = (dir / "q.json").string();
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static"}), 2);
  EXPECT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", d + "/train.npz", "--calib-method",
                           "nope"}), 2);
  EXPECT_FALSE(test::fs::exists(out));
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "static", "--calib", d + "/train.npz",
                           "--calib-samples", "32", "--calib-method", "entropy", "--eval", d + "/test.npz",
                           "--report", report}), 0);
  EXPECT_TRUE(test::fs::exists(out));
  EXPECT_TRUE(test::fs::exists(report));
  ASSERT_EQ(cli::cli_main({"quantize", m, "-o", out, "--mode", "dynamic", "--per-channel"}), 0);
  EXPECT_NO_THROW(onnx_io::load_model(out));
}

}  // namespace
}  // namespace shrink
