// fuse_gelu: GELU written out in primitive ops (PyTorch's export before opset 20, shrink's own
// transformer) becomes one Gelu that the matrix-product and convolution fusions take as their
// activation; the vectorized evaluation (ops/internal/gelu_erf.h) stays within 2e-7 * |x| of the
// double-precision GELU, and every kernel path agrees with the unfused graph.
#include <gtest/gtest.h>

#include <cmath>

#include "graph_test_util.h"
#include "ir/builder.h"
#include "ops/internal/gelu_erf.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::kernel_of;

using test_util::count_op;
using test_util::max_rel_diff;
using test_util::random_tensor;

TEST(GeluErf, WithinTwoTenMillionthsOfXOfTheDoubleGelu) {
  std::vector<float> x;
  for (int i = -12000; i <= 12000; ++i) x.push_back(float(i) / 1000.f);  // [-12, 12] in steps of 0.001
  for (float v : {1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.f, -0.f, 30.f, -30.f, 100.f, -100.f, 1e30f, -1e30f}) x.push_back(v);
  x.push_back(0.5f);  // an odd count: the vector tail runs too
  std::vector<float> y(x.size());
  ops::gelu_erf(x.data(), y.data(), int64_t(x.size()));
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = 0.5 * double(x[i]) * (1.0 + std::erf(double(x[i]) * M_SQRT1_2));
    worst = std::max(worst, std::abs(double(y[i]) - want) / std::max(1.0, std::abs(double(x[i]))));
  }
  EXPECT_LE(worst, 2e-7);
  std::printf("worst |error| / max(1, |x|): %.3g\n", worst);
  std::vector<float> inplace = x;
  ops::gelu_erf_inplace(inplace.data(), int64_t(inplace.size()));
  EXPECT_EQ(inplace, y);
}

std::string scalar(ir::GraphBuilder& b, const std::string& name, float v) {
  return b.constant(name, Tensor::scalar<float>(v));
}

// y = GELU(x @ W + bias) with GELU spelled out; `half_first` writes (x * 0.5) * (1 + erf) and
// multiplies by 1/sqrt 2 instead of dividing by sqrt 2.
ir::Graph mlp_gelu(bool half_first, bool expose_erf = false) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {24}}, ""});
  ir::GraphBuilder b(g);
  auto w = b.constant("w", random_tensor({24, 40}, 1));
  auto bias = b.constant("bias", random_tensor({40}, 2));
  auto h = b.op("Add", {b.op("MatMul", {"x", w}, {}, "mm"), bias}, {}, "bias_add");
  auto scaled = half_first ? b.op("Mul", {scalar(b, "rsqrt2", float(M_SQRT1_2)), h}, {}, "scale")
                           : b.op("Div", {h, scalar(b, "sqrt2", float(M_SQRT2))}, {}, "scale");
  auto erf = b.op("Erf", {scaled}, {}, "erf");
  auto one_plus = b.op("Add", {scalar(b, "one", 1.f), erf}, {}, "add1");
  std::string y;
  if (half_first) {
    auto half = b.op("Mul", {h, scalar(b, "half", 0.5f)}, {}, "half");
    y = b.op("Mul", {one_plus, half}, {}, "mul");
  } else {
    y = b.op("Mul", {b.op("Mul", {h, one_plus}, {}, "mul"), scalar(b, "half", 0.5f)}, {}, "half");
  }
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  if (expose_erf) g.outputs.push_back({erf, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(FuseGelu, BothSpellingsBecomeOneGeluThatTheProductAbsorbs) {
  for (bool half_first : {false, true}) {
    ir::Graph f = passes::fuse_gelu(mlp_gelu(half_first));
    EXPECT_EQ(count_op(f, "Gelu"), 1) << half_first;
    EXPECT_EQ(count_op(f, "Erf"), 0);
    EXPECT_EQ(f.nodes.size(), 3u) << "MatMul, bias Add, Gelu";
    ir::Graph g = mlp_gelu(half_first);
    runtime::Session ref(g, {.optimize = false, .reference_only = true}), fast(g);
    EXPECT_EQ(count_op(fast.graph(), "Gelu"), 0) << "absorbed as FusedMatMul's activation";
    ASSERT_EQ(count_op(fast.graph(), "FusedMatMul"), 1);
    for (int64_t rows : {3, 40}) {  // oneDNN's matmul with a gelu_erf post-op; the packed GEMM
      Tensor x = random_tensor({rows, 24}, uint64_t(rows), 3.f);
      EXPECT_LE(max_rel_diff(fast.run({x})[0], ref.run({x})[0]), 1e-6) << "rows " << rows;
      EXPECT_EQ(kernel_of(fast, "FusedMatMul"), rows >= 16 ? "cpu:sgemm-packed" : "onednn:matmul");
    }
  }
}

TEST(FuseGelu, NotThroughAValueSomeoneElseReads) {
  ir::Graph f = passes::fuse_gelu(mlp_gelu(false, true));
  EXPECT_EQ(count_op(f, "Gelu"), 0);
  EXPECT_EQ(count_op(f, "Erf"), 1);
}

TEST(FuseGelu, StandaloneGeluAndConvolutionActivationInAnOpset17Model) {
  // x -> Conv -> GELU (spelled out) -> Conv, 16 channels: the first GELU is the first convolution's
  // activation, inside the channel-blocked region; a second GELU of a graph input stays standalone.
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{1}, {16}, {6}, {6}}, ""});
  g.inputs.push_back({"z", DType::kFloat32, std::vector<ir::Dim>{{-1, "n"}}, ""});
  ir::GraphBuilder b(g);
  auto gelu = [&](const std::string& v, const std::string& p) {
    auto e = b.op("Erf", {b.op("Div", {v, scalar(b, p + "sqrt2", float(M_SQRT2))}, {}, p + "div")}, {}, p + "erf");
    auto m = b.op("Mul", {v, b.op("Add", {e, scalar(b, p + "one", 1.f)}, {}, p + "add")}, {}, p + "mul");
    return b.op("Mul", {m, scalar(b, p + "half", 0.5f)}, {}, p + "half");
  };
  auto w1 = b.constant("w1", random_tensor({16, 16, 3, 3}, 3, 0.3f)), w2 = b.constant("w2", random_tensor({16, 16, 1, 1}, 4, 0.3f));
  auto c1 = b.op("Conv", {"x", w1}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, "c1");
  auto y = b.op("Conv", {gelu(c1, "g1"), w2}, {}, "c2");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  g.outputs.push_back({gelu("z", "g2"), DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  runtime::Session ref(g, {.optimize = false, .reference_only = true}), fast(g);
  Tensor x = random_tensor({1, 16, 6, 6}, 5, 2.f), z = random_tensor({1001}, 6, 5.f);
  auto want = ref.run({x, z}), got = fast.run({x, z});
  EXPECT_LE(max_rel_diff(got[0], want[0]), 1e-5);
  EXPECT_LE(max_rel_diff(got[1], want[1]), 1e-6);
  EXPECT_EQ(count_op(fast.graph(), "Erf"), 0);
  EXPECT_EQ(kernel_of(fast, "Gelu"), "cpu:gelu");
  int gelu_convs = 0;
  for (const auto& n : fast.graph().nodes) {
    auto it = n.attrs.find("activation");
    gelu_convs += n.op_type.find("FusedConv") != std::string::npos && it != n.attrs.end() &&
                  std::get<std::string>(it->second) == "Gelu";
  }
  EXPECT_EQ(gelu_convs, 1) << "the first convolution applies the GELU";
}

}  // namespace
}  // namespace shrink
