// Fast kernels against the reference kernels (the oracle), on random and awkward shapes under a
// fixed seed. Each case builds a one- or few-node graph, runs it with the fast kernels and with
// --reference kernels, and compares with a named tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

constexpr double kFp32Tolerance = 2e-5;  // relative to max |reference|, fp32 accumulation order

Tensor random(Rng& rng, Shape s) {
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(-1.f, 1.f);
  return t;
}

ir::ValueInfo input_info(const std::string& name, const Shape& s) {
  std::vector<ir::Dim> dims;
  for (int64_t d : s) dims.push_back({d, ""});
  return {name, DType::kFloat32, dims, ""};
}

// Runs g on inputs with fast and reference kernels; returns max abs diff relative to max |ref|,
// and fills `kernel` with the first node's fast kernel name.
double compare(const ir::Graph& g, const std::vector<Tensor>& inputs, std::string* kernel = nullptr,
               std::vector<std::string> skip = {}) {
  // No graph passes: the node itself runs (fusions would turn a Gemm into FusedMatMul, a Conv blocked).
  runtime::Session fast(g, {.optimize = false, .skip_backends = std::move(skip)}),
      ref(g, {.optimize = false, .reference_only = true});
  auto a = fast.run(inputs), b = ref.run(inputs);
  if (kernel) *kernel = fast.kernel_names().at(0).second;
  double worst = 0;  // each output relative to its own scale
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].shape(), b[k].shape());
    double diff = 0, scale = 1e-30;
    for (int64_t i = 0; i < b[k].numel(); ++i) {
      diff = std::max(diff, std::fabs(a[k].as_double(i) - b[k].as_double(i)));
      scale = std::max(scale, std::fabs(b[k].as_double(i)));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

struct MatMulCase {
  Shape a, b;
  bool const_b;
};

class MatMulKernel : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(MatMulKernel, MatchesReference) {
  const auto& c = GetParam();
  Rng rng(7);
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back(input_info("a", c.a));
  std::vector<Tensor> inputs{random(rng, c.a)};
  ir::GraphBuilder b(g);
  std::string bname = "b";
  if (c.const_b) bname = b.constant("b", random(rng, c.b));
  else {
    g.inputs.push_back(input_info("b", c.b));
    inputs.push_back(random(rng, c.b));
  }
  std::string y = b.op("MatMul", {"a", bname}, {}, "mm");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  std::string kernel;
  EXPECT_LE(compare(g, inputs, &kernel), kFp32Tolerance);
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < c.a.size(); ++i) rows *= c.a[i];
  const bool folded = c.b.size() == 2 && c.a.size() >= 2;
  EXPECT_EQ(kernel, (folded ? rows : (c.a.size() >= 2 ? c.a[c.a.size() - 2] : 1)) >= 16 ? "blas:sgemm" : "onednn:matmul");
  EXPECT_LE(compare(g, inputs, &kernel, {"blas"}), kFp32Tolerance);
  EXPECT_EQ(kernel, "onednn:matmul");
}

INSTANTIATE_TEST_SUITE_P(Shapes, MatMulKernel,
                         ::testing::Values(MatMulCase{{1, 7}, {7, 13}, true}, MatMulCase{{13, 127}, {127, 1}, true},
                                           MatMulCase{{2, 3, 7, 13}, {13, 5}, true},
                                           MatMulCase{{64, 784}, {784, 1024}, true},
                                           MatMulCase{{7}, {7, 13}, true}, MatMulCase{{5, 7}, {7}, false},
                                           MatMulCase{{2, 4, 7, 13}, {2, 4, 13, 5}, false},
                                           MatMulCase{{2, 1, 7, 13}, {1, 3, 13, 5}, false},
                                           MatMulCase{{3, 7, 13}, {13, 127}, false}),
                         [](const ::testing::TestParamInfo<MatMulCase>& info) {
                           return std::string(info.param.const_b ? "const_b_" : "runtime_b_") + std::to_string(info.index);
                         });

}  // namespace
}  // namespace shrink

namespace shrink {
namespace {

// A single-node graph over float inputs; `consts` become initializers (weights).
struct NodeCase {
  std::string op;
  ir::AttributeMap attrs;
  std::vector<Shape> inputs;     // runtime inputs
  std::vector<Shape> constants;  // initializers, after the runtime inputs
  std::string kernel;            // the fast kernel expected to run
  int64_t opset = 17;
  int outputs = 1;
  std::string domain = "";
};

ir::Graph single_node_graph(const NodeCase& c, std::vector<Tensor>& inputs, uint64_t seed) {
  Rng rng(seed);
  ir::Graph g;
  g.opsets = {{"", c.opset}};
  ir::GraphBuilder b(g);
  std::vector<std::string> names;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    std::string n = "in" + std::to_string(i);
    g.inputs.push_back(input_info(n, c.inputs[i]));
    inputs.push_back(random(rng, c.inputs[i]));
    names.push_back(n);
  }
  for (size_t i = 0; i < c.constants.size(); ++i) names.push_back(b.constant("c" + std::to_string(i), random(rng, c.constants[i])));
  for (const auto& y : b.node(c.op, names, c.attrs, "node", c.outputs, c.domain))
    g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

class NodeKernel : public ::testing::TestWithParam<NodeCase> {};

TEST_P(NodeKernel, MatchesReference) {
  std::vector<Tensor> inputs;
  ir::Graph g = single_node_graph(GetParam(), inputs, 11);
  std::string kernel;
  EXPECT_LE(compare(g, inputs, &kernel), kFp32Tolerance);
  EXPECT_EQ(kernel, GetParam().kernel);
  if (GetParam().op == "Gemm" && kernel == "blas:sgemm") {  // the oneDNN Gemm comes after the BLAS one
    // ... unless B is a run-time input with alpha != 1, which oneDNN's Gemm declines.
    const bool declined = GetParam().constants.empty() && GetParam().attrs.count("alpha");
    EXPECT_LE(compare(g, inputs, &kernel, {"blas"}), kFp32Tolerance);
    EXPECT_EQ(kernel, declined ? "ref" : "onednn:gemm");
  }
}

using Ints = std::vector<int64_t>;
INSTANTIATE_TEST_SUITE_P(
    Kernels, NodeKernel,
    ::testing::Values(
        NodeCase{"Conv", {{"pads", Ints{1, 1, 1, 1}}}, {{1, 3, 13, 13}}, {{7, 3, 3, 3}, {7}}, "onednn:conv"},
        NodeCase{"Conv", {{"strides", Ints{2, 2}}}, {{2, 13, 7, 9}}, {{1, 13, 3, 3}}, "onednn:conv"},
        NodeCase{"Conv", {{"group", int64_t(13)}, {"pads", Ints{1, 1, 1, 1}}}, {{1, 13, 7, 7}}, {{13, 1, 3, 3}, {13}}, "onednn:conv"},
        NodeCase{"Conv", {{"dilations", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}, {{1, 8, 13, 13}}, {{16, 8, 3, 3}}, "onednn:conv"},
        NodeCase{"Conv", {}, {{1, 127, 1, 1}}, {{13, 127, 1, 1}}, "onednn:conv"},
        NodeCase{"Conv", {{"pads", Ints{2, 1}}}, {{2, 4, 17}}, {{6, 4, 5}}, "onednn:conv"},
        NodeCase{"Conv", {}, {{1, 2, 5, 6, 7}}, {{3, 2, 2, 3, 3}}, "onednn:conv"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}}, {{7, 13}}, {{127, 13}, {127}}, "onednn:gemm"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}}, {{17, 13}}, {{127, 13}, {127}}, "blas:sgemm"},
        NodeCase{"Gemm", {{"transA", int64_t(1)}, {"alpha", 0.5f}, {"beta", 2.f}}, {{13, 17}}, {{13, 5}, {17, 5}}, "blas:sgemm"},
        NodeCase{"Gemm", {}, {{1, 127}}, {{127, 1}}, "onednn:gemm"},
        NodeCase{"Gemm", {}, {{16, 127}}, {{127, 1}, {1}}, "blas:sgemm"},
        NodeCase{"Softmax", {{"axis", int64_t(1)}}, {{7, 13, 3}}, {}, "onednn:softmax"},
        NodeCase{"LogSoftmax", {}, {{13, 127}}, {}, "onednn:softmax"},
        NodeCase{"Softmax", {{"axis", int64_t(1)}}, {{3, 4, 5}}, {}, "cpu:softmax", 11},  // 2-D coercion: rows of 20
        NodeCase{"Softmax", {}, {{4, 128, 128}}, {}, "cpu:softmax"},                       // attention scores
        NodeCase{"Softmax", {}, {{5, 13}}, {}, "cpu:softmax"},
        NodeCase{"Softmax", {}, {{9, 1}}, {}, "cpu:softmax"},
        NodeCase{"LayerNormalization", {}, {{2, 7, 13}}, {{13}, {13}}, "onednn:layer_norm"},
        NodeCase{"LayerNormalization", {{"axis", int64_t(1)}, {"epsilon", 1e-3f}}, {{3, 4, 5}}, {{4, 5}}, "onednn:layer_norm"},
        NodeCase{"MaxPool", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}, {{1, 13, 13, 13}}, {}, "onednn:pool"},
        NodeCase{"MaxPool", {{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, {{1, 3, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}, {{2, 5, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"count_include_pad", int64_t(1)}}, {{1, 5, 7, 9}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, {{1, 3, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}, {{1, 3, 13}}, {}, "onednn:pool"},
        // Weights and bias as graph inputs (training feeds parameters each step).
        NodeCase{"Conv", {{"pads", Ints{1, 1, 1, 1}}}, {{1, 3, 13, 13}, {7, 3, 3, 3}, {7}}, {}, "onednn:conv"},
        NodeCase{"Conv", {{"group", int64_t(3)}, {"strides", Ints{2, 2}}, {"pads", Ints{0, 1, 1, 0}}}, {{2, 6, 7, 9}, {9, 2, 3, 3}}, {}, "onednn:conv"},
        NodeCase{"Conv", {{"group", int64_t(13)}, {"pads", Ints{1, 1, 1, 1}}}, {{1, 13, 7, 7}, {13, 1, 3, 3}, {13}}, {}, "onednn:conv"},
        NodeCase{"Conv", {{"dilations", Ints{2, 2, 1}}}, {{1, 2, 7, 6, 5}, {4, 2, 2, 3, 3}}, {}, "onednn:conv"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}}, {{7, 13}, {127, 13}, {127}}, {}, "onednn:gemm"},
        NodeCase{"Gemm", {}, {{1, 127}, {127, 5}}, {}, "onednn:gemm"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}, {"alpha", 0.5f}}, {{7, 13}, {5, 13}, {5}}, {}, "ref"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}}, {{17, 13}, {127, 13}, {127}}, {}, "blas:sgemm"},
        NodeCase{"Gemm", {{"transA", int64_t(1)}, {"alpha", 0.5f}, {"beta", 2.f}}, {{13, 17}, {13, 5}, {17, 5}}, {}, "blas:sgemm"},
        NodeCase{"Gemm", {{"transB", int64_t(1)}}, {{7, 13}, {127, 13}}, {{127}}, "onednn:gemm"}),
    [](const ::testing::TestParamInfo<NodeCase>& info) { return info.param.op + "_" + std::to_string(info.index); });

// Training kernels: the com.shrink gradient ops and BatchNormalization with training_mode=1, every
// tensor a graph input.
class TrainKernel : public ::testing::TestWithParam<NodeCase> {};

TEST_P(TrainKernel, MatchesReference) {
  std::vector<Tensor> inputs;
  ir::Graph g = single_node_graph(GetParam(), inputs, 17);
  std::string kernel;
  EXPECT_LE(compare(g, inputs, &kernel), kFp32Tolerance);
  EXPECT_EQ(kernel, GetParam().kernel);
  if (kernel.starts_with("cpu:")) {  // the oneDNN kernel behind it
    EXPECT_LE(compare(g, inputs, &kernel, {"cpu"}), kFp32Tolerance);
    EXPECT_TRUE(kernel.starts_with("onednn:")) << kernel;
  }
}

const std::string kShrink = "com.shrink";
ir::AttributeMap conv_attrs(int64_t group, Ints strides, Ints pads, Ints dil = {}) {
  ir::AttributeMap a{{"group", group}, {"strides", strides}, {"pads", pads}};
  if (!dil.empty()) a["dilations"] = dil;
  return a;
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, TrainKernel,
    ::testing::Values(
        // ConvGradInput(dY, W, X)
        NodeCase{"ConvGradInput", conv_attrs(1, {1, 1}, {1, 1, 1, 1}), {{2, 7, 13, 13}, {7, 3, 3, 3}, {2, 3, 13, 13}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        NodeCase{"ConvGradInput", conv_attrs(3, {2, 2}, {0, 1, 1, 0}), {{3, 9, 3, 4}, {9, 2, 3, 3}, {3, 6, 7, 9}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        NodeCase{"ConvGradInput", conv_attrs(13, {2, 2}, {1, 1, 1, 1}), {{1, 13, 4, 4}, {13, 1, 3, 3}, {1, 13, 7, 7}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        NodeCase{"ConvGradInput", conv_attrs(1, {1, 1}, {2, 2, 2, 2}, {2, 2}), {{1, 16, 13, 13}, {16, 8, 3, 3}, {1, 8, 13, 13}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        NodeCase{"ConvGradInput", conv_attrs(2, {1, 2, 1}, {1, 0, 1, 0, 1, 0}), {{1, 4, 5, 3, 4}, {4, 1, 2, 3, 3}, {1, 2, 5, 7, 5}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        NodeCase{"ConvGradInput", conv_attrs(1, {2}, {2, 1}), {{2, 6, 8}, {6, 4, 5}, {2, 4, 17}}, {}, "onednn:conv_bwd_data", 17, 1, kShrink},
        // ConvGradWeight(dY, X, W) -> (dW, dB)
        NodeCase{"ConvGradWeight", conv_attrs(1, {1, 1}, {1, 1, 1, 1}), {{2, 7, 13, 13}, {2, 3, 13, 13}, {7, 3, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 2, kShrink},
        NodeCase{"ConvGradWeight", conv_attrs(3, {2, 2}, {0, 1, 1, 0}), {{3, 9, 3, 4}, {3, 6, 7, 9}, {9, 2, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 2, kShrink},
        NodeCase{"ConvGradWeight", conv_attrs(13, {2, 2}, {1, 1, 1, 1}), {{1, 13, 4, 4}, {1, 13, 7, 7}, {13, 1, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 1, kShrink},
        NodeCase{"ConvGradWeight", conv_attrs(1, {1, 1}, {2, 2, 2, 2}, {2, 2}), {{1, 16, 13, 13}, {1, 8, 13, 13}, {16, 8, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 2, kShrink},
        NodeCase{"ConvGradWeight", conv_attrs(2, {1, 2, 1}, {1, 0, 1, 0, 1, 0}), {{1, 4, 5, 3, 4}, {1, 2, 5, 7, 5}, {4, 1, 2, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 2, kShrink},
        // ConvTranspose's weight gradient: X and dY swapped (dY spatially smaller than X).
        NodeCase{"ConvGradWeight", conv_attrs(1, {2, 2}, {1, 1, 1, 1}), {{2, 4, 3, 4}, {2, 6, 6, 8}, {4, 6, 3, 3}}, {}, "onednn:conv_bwd_weights", 17, 1, kShrink},
        // Pooling, batch norm, layer norm.
        NodeCase{"AveragePoolGrad", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}, {{2, 5, 7, 7}, {2, 5, 7, 7}}, {}, "onednn:pool_bwd", 17, 1, kShrink},
        NodeCase{"AveragePoolGrad", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 0}}, {"count_include_pad", int64_t(1)}}, {{1, 17, 4, 3}, {1, 17, 7, 8}}, {}, "onednn:pool_bwd", 17, 1, kShrink},
        NodeCase{"AveragePoolGrad", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, {{1, 3, 4, 4}, {1, 3, 7, 7}}, {}, "onednn:pool_bwd", 17, 1, kShrink},
        NodeCase{"AveragePoolGrad", {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}, {{3, 3, 6}, {3, 3, 13}}, {}, "onednn:pool_bwd", 17, 1, kShrink},
        NodeCase{"AveragePoolGrad", {{"kernel_shape", Ints{2, 2, 2}}, {"strides", Ints{2, 2, 2}}}, {{1, 4, 2, 3, 2}, {1, 4, 5, 6, 5}}, {}, "onednn:pool_bwd", 17, 1, kShrink},
        NodeCase{"MaxPoolGrad", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}, {{1, 13, 7, 7}, {1, 13, 13, 13}}, {}, "ref", 17, 1, kShrink},
        NodeCase{"BatchNormalization", {{"training_mode", int64_t(1)}, {"momentum", 0.7f}}, {{3, 13, 7, 5}, {13}, {13}, {13}, {13}}, {}, "cpu:batch_norm_train", 15, 3},
        NodeCase{"BatchNormalization", {{"training_mode", int64_t(1)}}, {{7, 5}, {5}, {5}, {5}, {5}}, {}, "cpu:batch_norm_train", 15, 3},
        NodeCase{"BatchNormalization", {{"training_mode", int64_t(1)}, {"epsilon", 1e-3f}}, {{2, 3, 4, 5, 3}, {3}, {3}, {3}, {3}}, {}, "cpu:batch_norm_train", 15, 1},
        NodeCase{"BatchNormTrainGrad", {{"epsilon", 1e-3f}}, {{3, 13, 7, 5}, {3, 13, 7, 5}, {13}}, {}, "cpu:batch_norm_bwd", 17, 3, kShrink},
        NodeCase{"BatchNormTrainGrad", {}, {{7, 5}, {7, 5}, {5}}, {}, "cpu:batch_norm_bwd", 17, 3, kShrink},
        NodeCase{"BatchNormTrainGrad", {}, {{2, 3, 37, 41}, {2, 3, 37, 41}, {3}}, {}, "cpu:batch_norm_bwd", 17, 2, kShrink},
        NodeCase{"BatchNormalization", {{"training_mode", int64_t(1)}}, {{2, 1, 37, 41}, {1}, {1}, {1}, {1}}, {}, "cpu:batch_norm_train", 15, 3},
        NodeCase{"BatchNormTrainGrad", {}, {{1, 3, 4, 5, 3}, {1, 3, 4, 5, 3}, {3}}, {}, "cpu:batch_norm_bwd", 17, 3, kShrink},
        NodeCase{"LayerNormGrad", {}, {{2, 7, 13}, {2, 7, 13}, {13}}, {}, "onednn:layer_norm_bwd", 17, 3, kShrink},
        NodeCase{"LayerNormGrad", {{"axis", int64_t(-2)}, {"epsilon", 1e-3f}}, {{3, 4, 127}, {3, 4, 127}, {4, 127}}, {}, "onednn:layer_norm_bwd", 17, 2, kShrink},
        NodeCase{"LayerNormGrad", {{"axis", int64_t(1)}}, {{3, 4, 5}, {3, 4, 5}, {5}}, {}, "ref", 17, 3, kShrink}),
    [](const ::testing::TestParamInfo<NodeCase>& info) { return info.param.op + "_" + std::to_string(info.index); });

// Conv + Add + Relu: fused into one FusedConv whose oneDNN post-ops match the reference chain.
TEST(ConvFusion, ResidualAndActivationMatchReference) {
  Rng rng(3);
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back(input_info("x", {1, 8, 9, 9}));
  ir::GraphBuilder b(g);
  auto w = b.constant("w", random(rng, {8, 8, 3, 3}));
  auto c = b.op("Conv", {"x", w}, {{"pads", Ints{1, 1, 1, 1}}}, "conv");
  auto s = b.op("Add", {c, "x"}, {}, "add");
  auto y = b.op("Relu", {s}, {}, "relu");
  auto w2 = b.constant("w2", random(rng, {4, 8, 1, 1}));
  auto z = b.op("Conv", {y, w2}, {}, "conv2");
  auto lo = b.constant("lo", Tensor::scalar<float>(-0.1f));
  auto hi = b.constant("hi", Tensor::scalar<float>(0.2f));
  auto out = b.op("Clip", {z, lo, hi}, {}, "clip");
  g.outputs.push_back({out, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  std::vector<Tensor> inputs{random(rng, {1, 8, 9, 9})};
  runtime::Session fused(g);
  int n_fused = 0;
  for (const auto& n : fused.graph().nodes) n_fused += n.op_type == "FusedConv";
  EXPECT_EQ(n_fused, 2);
  EXPECT_EQ(fused.graph().nodes.size(), 2u);
  EXPECT_LE(compare(g, inputs), kFp32Tolerance);
}

// The same chain with the weights as graph inputs: still fused, still oneDNN, still exact.
TEST(ConvFusion, RuntimeWeightsMatchReference) {
  Rng rng(5);
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs = {input_info("x", {2, 8, 9, 9}), input_info("w", {8, 8, 3, 3}), input_info("b", {8})};
  ir::GraphBuilder b(g);
  auto c = b.op("Conv", {"x", "w", "b"}, {{"pads", Ints{1, 1, 1, 1}}}, "conv");
  auto s = b.op("Add", {c, "x"}, {}, "add");
  auto y = b.op("Relu", {s}, {}, "relu");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  std::vector<Tensor> inputs{random(rng, {2, 8, 9, 9}), random(rng, {8, 8, 3, 3}), random(rng, {8})};
  runtime::Session fast(g), ref(g, {.optimize = false, .reference_only = true});
  EXPECT_EQ(fast.graph().nodes.size(), 1u);
  for (int step = 0; step < 2; ++step) {  // new weight values each step, same kernel
    inputs[1] = random(rng, {8, 8, 3, 3});
    inputs[2] = random(rng, {8});
    auto a = fast.run(inputs), r = ref.run(inputs);
    double diff = 0, scale = 1e-30;
    for (int64_t i = 0; i < r[0].numel(); ++i) {
      diff = std::max(diff, std::fabs(a[0].as_double(i) - r[0].as_double(i)));
      scale = std::max(scale, std::fabs(r[0].as_double(i)));
    }
    EXPECT_LE(diff / scale, kFp32Tolerance) << "step " << step;
    EXPECT_EQ(fast.kernel_names().at(0).second, "onednn:conv");
  }
}

}  // namespace
}  // namespace shrink


namespace shrink {
namespace {

// cpu:softmax on rows with special values, against the reference (double precision): NaN makes its
// row NaN, -inf entries (masks) give exactly 0, a row of -inf or with +inf is NaN, huge and tiny
// logits, rows shorter and longer than a vector; elsewhere within 1e-6 of the reference.
TEST(SoftmaxKernel, SpecialValuesAsReference) {
  const int64_t n = 19;
  const std::vector<std::vector<float>> rows = {
      {},                                                     // random
      {NAN},                                                  // a NaN at 0
      {-INFINITY, -INFINITY, 0.5f},                           // masked positions
      std::vector<float>(size_t(n), -INFINITY),               // all masked
      {1.f, INFINITY},                                        // +inf
      {1e30f, -1e30f, 3e29f},                                 // huge spreads
      {-200.f, -100.f, -95.f, -90.f, -88.f, -87.5f, -80.f}};  // around the normal-range limit
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(input_info("x", {int64_t(rows.size()), n}));
  g.outputs.push_back({b.op("Softmax", {"x"}, {}, "sm"), DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  Rng rng(5);
  Tensor x(DType::kFloat32, {int64_t(rows.size()), n});
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t j = 0; j < n; ++j)
      x.data<float>()[int64_t(r) * n + j] = j < int64_t(rows[r].size()) ? rows[r][size_t(j)] : rng.uniform(-3.f, 3.f);
  for (int threads : {1, 2}) {
    runtime::Session fast(g, {.threads = threads}), ref(g, {.reference_only = true});
    const Tensor a = fast.run({x})[0], e = ref.run({x})[0];
    EXPECT_EQ(fast.kernel_names()[0].second, "cpu:softmax");
    for (int64_t i = 0; i < e.numel(); ++i) {
      const float va = a.data<float>()[i], ve = e.data<float>()[i];
      SCOPED_TRACE("row " + std::to_string(i / n) + " col " + std::to_string(i % n));
      ASSERT_EQ(std::isnan(va), std::isnan(ve)) << va << " vs " << ve;
      if (std::isnan(ve)) continue;
      if (ve == 0.f) EXPECT_EQ(va, 0.f);
      EXPECT_NEAR(va, ve, 1e-6f);
    }
  }
}

}  // namespace
}  // namespace shrink
