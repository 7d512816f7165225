// The model zoo (train/models, `shrink init`): every architecture builds, verifies, passes the ONNX
// checker and strict shape inference, runs at batch 1 and 3 with fast kernels agreeing with the
// reference ones; seeds are deterministic; width/depth scale the model; bad specs are bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "cli/cli_main.h"
#include "core/rng.h"
#include "onnx/checker.h"
#include "onnx/model_io.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "runtime/session.h"
#include "train/models/model_zoo.h"

namespace shrink {
namespace {

namespace fs = std::filesystem;
using train::ModelSpec;

// Defaults, plus small members of each family (students) to keep reference-kernel runs quick.
std::vector<ModelSpec> specs_under_test() {
  return {{.arch = "mlp"},
          {.arch = "mlp", .input = {20}, .classes = 3, .width = 7, .depth = 1},
          {.arch = "cnn-small"},
          {.arch = "cnn-small", .input = {1, 13, 11}, .classes = 5, .width = 4, .depth = 3},
          {.arch = "resnet", .depth = 8},
          {.arch = "resnet", .input = {3, 16, 16}, .width = 4, .depth = 14},
          {.arch = "mobilenet", .width = 8, .depth = 4},
          {.arch = "mobilenet", .input = {3, 8, 8}, .width = 12, .depth = 7},
          {.arch = "transformer"},
          {.arch = "transformer", .input = {7}, .classes = 2, .width = 24, .depth = 1, .vocab = 11, .post_norm = true}};
}

std::string label(const ModelSpec& s) {
  return s.arch + " width " + std::to_string(s.width) + " depth " + std::to_string(s.depth);
}

Tensor random_input(const ir::Graph& g, const ModelSpec& s, int64_t batch, uint64_t seed) {
  Shape shape{batch};
  for (int64_t d : train::resolve_spec(s).input) shape.push_back(d);
  Rng rng(seed);
  if (g.inputs[0].dtype == DType::kInt64) {
    Tensor t(DType::kInt64, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = int64_t(rng.below(uint64_t(s.vocab)));
    return t;
  }
  Tensor t(DType::kFloat32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(-1.f, 1.f);
  return t;
}

float max_abs_diff(const Tensor& a, const Tensor& b, int64_t offset_b = 0) {
  float m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(a.data<float>()[i] - b.data<float>()[i + offset_b]));
  return m;
}

TEST(ZooModels, EveryArchPassesTheOnnxCheckerAndStrictShapeInference) {
  for (const ModelSpec& s : specs_under_test()) {
    SCOPED_TRACE(label(s));
    ir::Graph g = train::build_model(s);
    EXPECT_NO_THROW(ir::verify(g));
    EXPECT_EQ(g.opset(), train::kModelOpset);
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.inputs[0].name, "input");
    EXPECT_EQ((*g.inputs[0].dims)[0].param, "N");
    ASSERT_EQ(g.outputs.size(), 1u);
    EXPECT_EQ(g.outputs[0].name, "logits");
    onnx::ModelProto mp;
    ASSERT_TRUE(mp.ParseFromString(onnx_io::export_model(g)));
    EXPECT_NO_THROW(onnx::checker::check_model(mp));
    // Strict: any node whose inferred types or shapes disagree throws.
    EXPECT_NO_THROW(onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(),
                                                       onnx::ShapeInferenceOptions(true, 1, true)));
  }
}

TEST(ZooModels, EveryArchRunsAtBatchOneAndThreeAndFastKernelsMatchReference) {
  for (const ModelSpec& s : specs_under_test()) {
    SCOPED_TRACE(label(s));
    ir::Graph g = train::build_model(s);
    const int64_t classes = s.classes;
    runtime::Session fast(g), reference(g, {.reference_only = true});
    Tensor x3 = random_input(g, s, 3, 7);
    Tensor y3 = fast.run({x3})[0];
    ASSERT_EQ(y3.shape(), (Shape{3, classes}));
    float scale = 0;
    for (int64_t i = 0; i < y3.numel(); ++i) {
      ASSERT_TRUE(std::isfinite(y3.data<float>()[i]));
      scale = std::max(scale, std::fabs(y3.data<float>()[i]));
    }
    EXPECT_GT(scale, 0.f);
    const float tol = 1e-4f * std::max(1.f, scale);
    EXPECT_LE(max_abs_diff(y3, reference.run({x3})[0]), tol);
    // Batch 1 gives the same row as the same sample inside the batch (inference-mode BN, Dropout).
    Shape one = x3.shape();
    one[0] = 1;
    Tensor x1(x3.dtype(), one);
    std::memcpy(x1.raw(), static_cast<const char*>(x3.raw()) + x3.nbytes() / 3, x1.nbytes());
    Tensor y1 = fast.run({x1})[0];
    ASSERT_EQ(y1.shape(), (Shape{1, classes}));
    EXPECT_LE(max_abs_diff(y1, y3, classes), tol);
  }
}

TEST(ZooModels, SameSeedIsBitIdenticalAndAnotherSeedDiffers) {
  for (const ModelSpec& s : specs_under_test()) {
    SCOPED_TRACE(label(s));
    ir::Graph a = train::build_model(s), b = train::build_model(s);
    EXPECT_EQ(onnx_io::export_model(a), onnx_io::export_model(b));
    ModelSpec other = s;
    other.seed = 1;
    ir::Graph c = train::build_model(other);
    ASSERT_EQ(a.initializers.size(), c.initializers.size());
    int differing = 0;
    for (const auto& [name, t] : a.initializers) {
      ASSERT_TRUE(c.initializers.count(name)) << name;
      differing += !t.bit_equal(c.initializers.at(name));
      if (name.ends_with(".weight") && (name.find("conv") != std::string::npos || name.starts_with("fc"))) {
        EXPECT_FALSE(t.bit_equal(c.initializers.at(name))) << name;
      }
    }
    EXPECT_GT(differing, 0);
  }
}

TEST(ZooModels, InitializationFollowsPyTorchDefaults) {
  ir::Graph g = train::build_model({.arch = "resnet", .depth = 8});
  const Tensor& w = g.initializers.at("stage2.block0.conv1.weight");  // fan_in = 16 * 3 * 3
  ASSERT_EQ(w.shape(), (Shape{32, 16, 3, 3}));
  const float bound = 1.f / std::sqrt(144.f);
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < w.numel(); ++i) lo = std::min(lo, w.data<float>()[i]), hi = std::max(hi, w.data<float>()[i]);
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_LT(lo, -0.9f * bound);
  EXPECT_GT(hi, 0.9f * bound);
  for (const char* name : {"stem.bn.weight", "stem.bn.running_var"}) EXPECT_EQ(g.initializers.at(name).data<float>()[5], 1.f);
  for (const char* name : {"stem.bn.bias", "stem.bn.running_mean"}) EXPECT_EQ(g.initializers.at(name).data<float>()[5], 0.f);
  ASSERT_TRUE(g.initializers.count("stage2.block0.shortcut.conv.weight"));
  EXPECT_FALSE(g.initializers.count("stage1.block0.shortcut.conv.weight"));  // same shape: identity
}

TEST(ZooModels, MlpParameterCountMatchesTheFormula) {
  // The 784-1024-1024-10 benchmark MLP.
  ModelSpec s{.arch = "mlp", .input = {1, 28, 28}, .width = 1024, .depth = 2};
  const int64_t expected = (784 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 10 + 10);
  EXPECT_EQ(train::count_parameters(s), expected);
  ir::Graph g = train::build_model(s);
  int64_t stored = 0;
  for (const auto& [name, t] : g.initializers) stored += t.numel();
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(g.initializers.at("hidden1.weight").shape(), (Shape{1024, 1024}));
  // Defaults: 784-256-256-10.
  EXPECT_EQ(train::count_parameters({.arch = "mlp"}), 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
}

TEST(ZooModels, WidthAndDepthMakeSmallerStudentsOfTheSameFamily) {
  auto params = [](ModelSpec s) { return train::count_parameters(s); };
  EXPECT_LT(params({.arch = "resnet", .depth = 8}), params({.arch = "resnet", .depth = 20}));
  EXPECT_LT(params({.arch = "resnet", .width = 8}), params({.arch = "resnet"}));
  EXPECT_LT(params({.arch = "cnn-small", .width = 16}), params({.arch = "cnn-small"}));
  EXPECT_LT(params({.arch = "cnn-small", .depth = 2}), params({.arch = "cnn-small"}));
  EXPECT_LT(params({.arch = "mobilenet", .width = 16}), params({.arch = "mobilenet"}));
  EXPECT_LT(params({.arch = "mobilenet", .depth = 5}), params({.arch = "mobilenet"}));
  EXPECT_LT(params({.arch = "transformer", .width = 32}), params({.arch = "transformer"}));
  EXPECT_LT(params({.arch = "transformer", .depth = 1}), params({.arch = "transformer"}));
  // ResNet-20 with 1x1 projection shortcuts: 0.27M parameters.
  EXPECT_EQ(params({.arch = "resnet"}), 272474);
  ir::Graph r20 = train::build_model({.arch = "resnet"});
  EXPECT_TRUE(r20.initializers.count("stage3.block2.conv2.weight"));
  EXPECT_FALSE(r20.initializers.count("stage3.block3.conv2.weight"));
  EXPECT_EQ(r20.initializers.at("stage3.block2.conv2.weight").shape(), (Shape{64, 64, 3, 3}));
}

TEST(ZooModels, BadSpecsAreBadInput) {
  const std::vector<ModelSpec> bad = {
      {.arch = "vgg"},
      {.arch = "resnet", .depth = 10},
      {.arch = "resnet", .input = {3, 4, 4}},
      {.arch = "resnet", .input = {3, 32}},
      {.arch = "mlp", .classes = 1},
      {.arch = "mlp", .width = -3},
      {.arch = "mlp", .depth = -1},
      {.arch = "mlp", .input = {1, 0, 28}},
      {.arch = "mlp", .input = {1, 4096, 4096}, .width = 8192},
      {.arch = "cnn-small", .input = {3, 8, 8}, .depth = 10},
      {.arch = "mobilenet", .depth = 8},
      {.arch = "transformer", .input = {3, 32}},
      {.arch = "transformer", .width = 64, .heads = 3},
      {.arch = "transformer", .vocab = 1},
      {.arch = "transformer", .width = 4096, .depth = 48, .vocab = 1 << 20},
  };
  for (const ModelSpec& s : bad) {
    try {
      train::build_model(s);
      ADD_FAILURE() << "accepted " << label(s);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

fs::path tmp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("shrink_zoo_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(ZooCli, InitWritesAModelThatInfoAndRunRead) {
  fs::path dir = tmp_dir("cli");
  const std::string path = (dir / "resnet8.onnx").string();
  ASSERT_EQ(cli::cli_main({"init", "resnet", "-o", path, "--depth", "8", "--width", "8", "--classes", "4", "--seed", "3"}), 0);
  EXPECT_EQ(cli::cli_main({"info", path}), 0);
  ir::Graph g = onnx_io::load_model(path);
  EXPECT_EQ((*g.outputs[0].dims)[1].value, 4);
  EXPECT_EQ(onnx_io::export_model(g), onnx_io::export_model(train::build_model(
                                          {.arch = "resnet", .classes = 4, .width = 8, .depth = 8, .seed = 3})));
  const std::string tpath = (dir / "tiny_transformer.onnx").string();
  ASSERT_EQ(cli::cli_main({"init", "transformer", "-o", tpath, "--input", "9", "--width", "16", "--depth", "1", "--vocab", "5"}), 0);
  EXPECT_EQ((*onnx_io::load_model(tpath).inputs[0].dims)[1].value, 9);
  fs::remove_all(dir);
}

TEST(ZooCli, BadArgumentsExitTwoAndWriteNothing) {
  fs::path dir = tmp_dir("bad");
  const std::string path = (dir / "m.onnx").string();
  const std::vector<std::vector<std::string>> bad = {
      {"init", "vgg", "-o", path},
      {"init", "resnet", "-o", path, "--depth", "10"},
      {"init", "resnet", "-o", path, "--input", "3x32"},
      {"init", "mlp", "-o", path, "--input", "3xx32"},
      {"init", "mlp", "-o", path, "--input", "-3"},
      {"init", "mlp", "-o", path, "--width", "0"},
      {"init", "mlp", "-o", path, "--classes", "1"},
      {"init", "transformer", "-o", path, "--heads", "5"},
      {"init", "mlp"},
  };
  for (const auto& args : bad) {
    EXPECT_EQ(cli::cli_main(args), 2) << args[1] << " " << args.back();
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shrink
