// Attention after dynamic quantization: MatMulInteger -> Cast(float) -> Mul(scale) of two run-time
// operands becomes com.shrink MatMulIntegerScaled (passes/fuse_matmul_integer.cc), run by
// cpu:matmul-integer-scaled on the packed fp32 GEMM. The optimized session's output must be
// bit-identical to the unfused chain on the reference kernels (1 and 2 threads), over batched and
// broadcast shapes, odd M / K / N, u8 / s8, absent / odd / extreme zero points, K = 258 (the
// exactness limit) and K = 259 (the reference kernel); and the pass must leave chains whose scale
// could broadcast, or whose values are read elsewhere, alone.
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::count_op;
using test_util::int8_scalar;
using test_util::kernel_of;
using test_util::random_int8;
using test_util::value_info;

struct Case {
  Shape a, b;
  DType type = DType::kUInt8;
  int a_zp = 0, b_zp = 0;
  bool zero_points = true;
  bool extreme = false;       // all a at one end of the range, all b at the other
  bool dql = false;           // operands from DynamicQuantizeLinear of float inputs (the real pattern)
  float scale = 0.0123f;      // the constant scale (not dql)
  std::string kernel = "cpu:matmul-integer-scaled";
};

// MatMulInteger -> Cast -> Mul(scale); returns the graph and its inputs.
std::pair<ir::Graph, std::vector<Tensor>> chain(const Case& c, uint64_t seed) {
  Rng rng(seed);
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  std::vector<Tensor> inputs;
  std::vector<std::string> mm_in;
  std::string scale;
  if (c.dql) {
    g.inputs.push_back(value_info("xa", DType::kFloat32, c.a));
    g.inputs.push_back(value_info("xb", DType::kFloat32, c.b));
    inputs.push_back(test_util::random_tensor(c.a, seed + 1, 3.f));
    inputs.push_back(test_util::random_tensor(c.b, seed + 2, 0.5f));
    auto qa = b.node("DynamicQuantizeLinear", {"xa"}, {}, "dqa", 3);
    auto qb = b.node("DynamicQuantizeLinear", {"xb"}, {}, "dqb", 3);
    mm_in = {qa[0], qb[0], qa[2], qb[2]};
    scale = b.op("Mul", {qa[1], qb[1]}, {}, "scales");
  } else {
    g.inputs.push_back(value_info("a", c.type, c.a));
    g.inputs.push_back(value_info("b", c.type, c.b));
    const bool u = c.type == DType::kUInt8;
    const int lo = u ? 0 : -128, hi = u ? 255 : 127;
    inputs.push_back(random_int8(rng, c.type, c.a, c.extreme ? hi : lo, hi));
    inputs.push_back(random_int8(rng, c.type, c.b, lo, c.extreme ? lo : hi));
    mm_in = {"a", "b"};
    if (c.zero_points) {
      g.inputs.push_back(value_info("a_zp", c.type, {}));
      g.inputs.push_back(value_info("b_zp", c.type, {}));
      inputs.push_back(int8_scalar(c.type, c.a_zp));
      inputs.push_back(int8_scalar(c.type, c.b_zp));
      mm_in.push_back("a_zp");
      mm_in.push_back("b_zp");
    }
    scale = b.constant("scale", Tensor::scalar<float>(c.scale));
  }
  auto acc = b.op("MatMulInteger", mm_in, {}, "mmi");
  auto f = b.op("Cast", {acc}, {{"to", int64_t(DType::kFloat32)}}, "cast");
  auto y = b.op("Mul", {f, scale}, {}, "rescale");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return {std::move(g), std::move(inputs)};
}

class MatMulIntegerScaledTest : public ::testing::TestWithParam<Case> {};

TEST_P(MatMulIntegerScaledTest, FusedAndBitIdenticalToTheChain) {
  const Case& c = GetParam();
  auto [g, inputs] = chain(c, uint64_t(c.a.back() * 131 + c.b.back()));
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  const Tensor want = ref.run(inputs)[0];
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    runtime::Session fast(g, {.threads = threads});
    const Tensor got = fast.run(inputs)[0];
    EXPECT_EQ(count_op(fast.graph(), "MatMulInteger"), 0);
    EXPECT_EQ(count_op(fast.graph(), "Cast"), 0);
    EXPECT_EQ(kernel_of(fast, "MatMulIntegerScaled"), c.kernel);
    ASSERT_EQ(got.shape(), want.shape());
    int64_t first = 0;
    while (first < want.numel() && got.data<float>()[first] == want.data<float>()[first]) ++first;
    EXPECT_TRUE(got.bit_equal(want)) << "first difference at " << first << " of " << want.numel();
    // The fused reference kernel (the op's own compute) agrees as well.
    runtime::Session fused_ref(g, {.reference_only = true});
    EXPECT_TRUE(fused_ref.run(inputs)[0].bit_equal(want));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatMulIntegerScaledTest,
    ::testing::Values(
        // The Transformer's Q K^T and A V: 4 heads, 128 positions, 64 per head.
        Case{{4, 128, 64}, {4, 64, 128}, DType::kUInt8, 0, 0, true, false, true},
        Case{{4, 128, 128}, {4, 128, 64}, DType::kUInt8, 0, 0, true, false, true},
        Case{{1, 4, 17, 64}, {1, 4, 64, 33}, DType::kUInt8, 131, 7},
        Case{{2, 1, 5, 7}, {3, 7, 9}, DType::kUInt8, 0, 0, false},  // broadcast batches, no zero points
        Case{{3, 13}, {13, 1}, DType::kInt8, 0, 5, true, false, false, -0.5f},
        Case{{2, 3, 258}, {258, 19}, DType::kUInt8, 0, 255, true, true},
        Case{{2, 3, 258}, {258, 11}, DType::kInt8, -128, 127, true, true, false, 3.f},  // |a - za| = 255
        Case{{7, 5}, {2, 5, 40}, DType::kUInt8, 9, 250},                                // a broadcast over b's batch
        Case{{1, 259}, {259, 3}, DType::kUInt8, 0, 255, true, true, false, 0.25f, "ref"}),
    [](const ::testing::TestParamInfo<Case>& i) { return "case_" + std::to_string(i.index); });

// Chains the pass must leave alone: a scale of several elements (the Mul would broadcast), and
// an int32 product or its float copy also read elsewhere.
TEST(FuseMatMulInteger, LeavesChainsItCannotTake) {
  Case c{{4, 8}, {8, 6}};
  {
    auto [g, inputs] = chain(c, 1);
    Tensor per_column(DType::kFloat32, {6});  // a per-column scale
    for (int64_t i = 0; i < 6; ++i) per_column.data<float>()[i] = 0.5f + float(i);
    for (const auto& n : g.nodes)
      if (n.name == "rescale") g.initializers[n.inputs[1]] = per_column;
    const ir::Graph out = passes::fuse_matmul_integer(g);
    EXPECT_EQ(count_op(out, "MatMulIntegerScaled"), 0);
    EXPECT_EQ(count_op(out, "MatMulInteger"), 1);
  }
  for (const char* extra : {"mmi", "cast"}) {  // the product, or its float copy, is also an output
    SCOPED_TRACE(extra);
    auto [g, inputs] = chain(c, 2);
    for (const auto& n : g.nodes)
      if (n.name == extra)
        g.outputs.push_back({n.outputs[0], std::string(extra) == "mmi" ? DType::kInt32 : DType::kFloat32, std::nullopt, ""});
    const ir::Graph out = passes::fuse_matmul_integer(g);
    EXPECT_EQ(count_op(out, "MatMulIntegerScaled"), 0);
  }
  {  // the real pattern is taken
    auto [g, inputs] = chain(c, 3);
    const ir::Graph out = passes::fuse_matmul_integer(g);
    EXPECT_EQ(count_op(out, "MatMulIntegerScaled"), 1);
    EXPECT_EQ(out.nodes.size(), 1u);
  }
}

// 1-D x 1-D with a one-element scale of rank 1: the chain's Mul makes the scalar product [1]; the
// fused op gives the same shape and value.
TEST(FuseMatMulInteger, VectorProductKeepsTheMulShape) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("a", DType::kUInt8, {5}));
  g.inputs.push_back(value_info("b", DType::kUInt8, {5}));
  auto acc = b.op("MatMulInteger", {"a", "b"}, {}, "mmi");
  auto f = b.op("Cast", {acc}, {{"to", int64_t(DType::kFloat32)}}, "cast");
  auto y = b.op("Mul", {f, b.constant("scale", Tensor::from_vector<float>({0.5f}, {1}))}, {}, "rescale");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  Rng rng(3);
  const std::vector<Tensor> inputs{random_int8(rng, DType::kUInt8, {5}, 0, 255), random_int8(rng, DType::kUInt8, {5}, 0, 255)};
  runtime::Session ref(g, {.optimize = false, .reference_only = true}), fast(g);
  const Tensor want = ref.run(inputs)[0], got = fast.run(inputs)[0];
  EXPECT_EQ(count_op(fast.graph(), "MatMulIntegerScaled"), 1);
  EXPECT_EQ(want.shape(), (Shape{1}));
  EXPECT_TRUE(got.bit_equal(want)) << shape_str(got.shape());
}

}  // namespace
}  // namespace shrink
