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
  runtime::Session fast(g, {.skip_backends = std::move(skip)}), ref(g, {.optimize = false, .reference_only = true});
  auto a = fast.run(inputs), b = ref.run(inputs);
  if (kernel) *kernel = fast.kernel_names().at(0).second;
  double diff = 0, scale = 1e-30;
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].shape(), b[k].shape());
    for (int64_t i = 0; i < b[k].numel(); ++i) {
      diff = std::max(diff, std::fabs(a[k].as_double(i) - b[k].as_double(i)));
      scale = std::max(scale, std::fabs(b[k].as_double(i)));
    }
  }
  return diff / scale;
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
  std::string y = b.op(c.op, names, c.attrs, "node");
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
    EXPECT_LE(compare(g, inputs, &kernel, {"blas"}), kFp32Tolerance);
    EXPECT_EQ(kernel, "onednn:gemm");
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
        NodeCase{"Softmax", {{"axis", int64_t(1)}}, {{3, 4, 5}}, {}, "onednn:softmax", 11},
        NodeCase{"LayerNormalization", {}, {{2, 7, 13}}, {{13}, {13}}, "onednn:layer_norm"},
        NodeCase{"LayerNormalization", {{"axis", int64_t(1)}, {"epsilon", 1e-3f}}, {{3, 4, 5}}, {{4, 5}}, "onednn:layer_norm"},
        NodeCase{"MaxPool", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}, {{1, 13, 13, 13}}, {}, "onednn:pool"},
        NodeCase{"MaxPool", {{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, {{1, 3, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}, {{2, 5, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"count_include_pad", int64_t(1)}}, {{1, 5, 7, 9}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, {{1, 3, 7, 7}}, {}, "onednn:pool"},
        NodeCase{"AveragePool", {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}, {{1, 3, 13}}, {}, "onednn:pool"}),
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

}  // namespace
}  // namespace shrink
