// The quantized residual Add (passes/fuse_qadd.cc, com.shrink QAdd): fused results are bit-identical
// to the unfused DequantizeLinear x2 -> Add [-> Relu | Clip] -> QuantizeLinear chain on reference
// kernels, on the fast kernel and the reference one, for u8/s8 mixes, zero points, saturation and odd
// sizes; broadcasts fuse too (reference kernel); a statically quantized ResNet fuses its residual Adds.
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include "compress/quant/quantize.h"
#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/model_zoo.h"

namespace shrink {
namespace {

using test_util::int8_scalar;

Tensor random_int8(Rng& rng, DType t, const Shape& s) {
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int v = int(rng.below(256));
    if (t == DType::kUInt8) x.data<uint8_t>()[i] = uint8_t(v);
    else x.data<int8_t>()[i] = int8_t(v - 128);
  }
  return x;
}

struct AddCase {
  DType a, b, y;
  int a_zp, b_zp, y_zp;
  float a_s, b_s, y_s;
  std::string act;  // "", Relu, Clip
  Shape a_shape{2, 3, 5, 7}, b_shape{2, 3, 5, 7};
};

ir::Graph build(const AddCase& c, std::vector<Tensor>& inputs, Rng& rng) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back({"a_q", c.a, std::nullopt, ""});
  g.inputs.push_back({"b_q", c.b, std::nullopt, ""});
  inputs = {random_int8(rng, c.a, c.a_shape), random_int8(rng, c.b, c.b_shape)};
  auto da = b.op("DequantizeLinear", {"a_q", b.constant("a_s", Tensor::scalar<float>(c.a_s)), b.constant("a_zp", int8_scalar(c.a, c.a_zp))}, {}, "dq_a");
  auto db = b.op("DequantizeLinear", {"b_q", b.constant("b_s", Tensor::scalar<float>(c.b_s)), b.constant("b_zp", int8_scalar(c.b, c.b_zp))}, {}, "dq_b");
  auto y = b.op("Add", {da, db}, {}, "add");
  if (c.act == "Relu") y = b.op("Relu", {y}, {}, "relu");
  if (c.act == "Clip")
    y = b.op("Clip", {y, b.constant("lo", Tensor::scalar<float>(-0.7f)), b.constant("hi", Tensor::scalar<float>(1.3f))}, {}, "clip");
  y = b.op("QuantizeLinear", {y, b.constant("y_s", Tensor::scalar<float>(c.y_s)), b.constant("y_zp", int8_scalar(c.y, c.y_zp))}, {}, "q");
  g.outputs.push_back({y, c.y, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

void expect_identical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  int64_t diffs = 0;
  for (int64_t i = 0; i < a.numel(); ++i) diffs += a.as_int64(i) != b.as_int64(i);
  EXPECT_EQ(diffs, 0);
}

class QAddFusion : public ::testing::TestWithParam<AddCase> {};

TEST_P(QAddFusion, BitIdenticalToUnfusedChain) {
  const AddCase& c = GetParam();
  Rng rng(5);
  std::vector<Tensor> inputs;
  const ir::Graph g = build(c, inputs, rng);
  runtime::Session fast(g), fused_ref(g, {.reference_only = true}), chain(g, {.optimize = false, .reference_only = true});
  ASSERT_EQ(fast.graph().nodes.size(), 1u);
  EXPECT_EQ(fast.graph().nodes[0].op_type, "QAdd");
  const Tensor want = chain.run(inputs)[0];
  expect_identical(fast.run(inputs)[0], want);
  expect_identical(fused_ref.run(inputs)[0], want);
  EXPECT_EQ(fast.kernel_names()[0].second, c.a_shape == c.b_shape ? "cpu:qadd" : "ref");
  // Saturation is exercised: some outputs sit at the type's ends.
  const Tensor y = want;
  const int64_t lo = c.y == DType::kUInt8 ? 0 : -128, hi = c.y == DType::kUInt8 ? 255 : 127;
  int64_t ends = 0;
  for (int64_t i = 0; i < y.numel(); ++i) ends += y.as_int64(i) == lo || y.as_int64(i) == hi;
  EXPECT_GT(ends, 0);
}

using D = DType;
INSTANTIATE_TEST_SUITE_P(
    Cases, QAddFusion,
    ::testing::Values(AddCase{D::kUInt8, D::kUInt8, D::kUInt8, 128, 120, 3, 0.03f, 0.05f, 0.02f, "Relu"},
                      AddCase{D::kUInt8, D::kUInt8, D::kUInt8, 0, 0, 0, 0.02f, 0.02f, 0.01f, ""},
                      AddCase{D::kInt8, D::kInt8, D::kInt8, -3, 0, 5, 0.013f, 0.07f, 0.033f, ""},
                      AddCase{D::kInt8, D::kUInt8, D::kUInt8, 0, 200, 17, 0.1f, 0.003f, 0.0071f, "Clip"},
                      AddCase{D::kUInt8, D::kInt8, D::kInt8, 77, -100, -128, 0.011f, 0.017f, 0.009f, "Relu"},
                      AddCase{D::kUInt8, D::kUInt8, D::kUInt8, 128, 120, 3, 0.03f, 0.05f, 0.02f, "Relu", {2, 3, 5, 7}, {1, 3, 1, 1}},
                      AddCase{D::kUInt8, D::kUInt8, D::kUInt8, 9, 11, 0, 0.25f, 0.125f, 0.0625f, "", {1, 64, 56, 57}, {1, 64, 56, 57}}),
    [](const ::testing::TestParamInfo<AddCase>& i) { return "case_" + std::to_string(i.index); });

// A float Add of two dequantized values without a QuantizeLinear after it stays float.
TEST(QAddFusion, NeedsQuantizeAfter) {
  Rng rng(1);
  std::vector<Tensor> inputs;
  ir::Graph g = build(AddCase{D::kUInt8, D::kUInt8, D::kUInt8, 1, 2, 3, 0.1f, 0.1f, 0.1f, ""}, inputs, rng);
  g.outputs[0].name = g.nodes[2].outputs[0];
  g.outputs[0].dtype = D::kFloat32;
  g.nodes.pop_back();
  runtime::Session s(g);
  for (const auto& n : s.graph().nodes) EXPECT_NE(n.op_type, "QAdd");
}

// Every requantized residual Add of a statically quantized ResNet (QDQ form) becomes a QAdd.
TEST(QAddFusion, StaticResnetFusesEveryResidualAdd) {
  const ir::Graph f = train::build_model({.arch = "resnet", .input = {3, 32, 32}, .seed = 3});
  int64_t adds = 0;
  for (const auto& n : f.nodes) adds += n.op_type == "Add";
  ASSERT_GT(adds, 0);
  const ir::Graph q = compress::quantize_static(f, {}, {.data = train::synth_images(16, 21)});
  runtime::Session s(q);
  int64_t qadds = 0, float_adds = 0;
  for (const auto& n : s.graph().nodes) {
    qadds += n.op_type == "QAdd";
    float_adds += n.op_type == "Add";
  }
  // The last block's sum feeds the float head (Relu -> GlobalAveragePool) without a QuantizeLinear.
  EXPECT_EQ(qadds, adds - 1);
  EXPECT_EQ(float_adds, 1);
  // Runs, on the fast kernel.
  s.run({train::synth_images(2, 4).x});
  for (size_t i = 0; i < s.graph().nodes.size(); ++i) {
    if (s.graph().nodes[i].op_type == "QAdd") EXPECT_EQ(s.kernel_names()[i].second, "cpu:qadd");
  }
}

}  // namespace
}  // namespace shrink
