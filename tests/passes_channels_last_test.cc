// channels_last_int8: int8 regions of QConv, MaxPool, QAdd and Quantize / DequantizeLinear kept
// channels-last give the plain graph's outputs (reference kernels: bit-identical; fast kernels:
// within one quantization step), with Transposes only at region borders, and every QConv on its
// oneDNN kernel with no reorder (the depthwise one on cpu:qconv-dw).
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include <cmath>
#include <cstring>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/internal/channels_last.h"
#include "ops/internal/quantized.h"
#include "ops/op.h"
#include "ops/shape/shape_attrs.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::int8_scalar;

using Ints = std::vector<int64_t>;

int count_op(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// The QDQ form of a small residual net on activations of type t:
//   x -> Q -> conv 8->16 3x3 relu -> maxpool 2x2 -> conv 16->16 3x3 (8-bit weights: the split path)
//   -> + pool, relu -> conv 1x1 (a graph output mid-region) -> depthwise 3x3 relu -> + previous sum
//   -> DQ -> GlobalAveragePool (float output).
ir::Graph qdq_net(DType t) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{1}, {8}, {12}, {12}}, ""});
  ir::GraphBuilder b(g);
  Rng rng(11);
  const int zp_shift = t == DType::kUInt8 ? 0 : -128;
  int k = 0;
  auto q = [&](const std::string& v, float s, int zp) {
    const std::string id = std::to_string(k++);
    return b.op("QuantizeLinear", {v, b.constant("s" + id, Tensor::scalar<float>(s)), b.constant("z" + id, int8_scalar(t, zp + zp_shift))}, {}, "q" + id);
  };
  auto dq = [&](const std::string& v, float s, int zp) {
    const std::string id = std::to_string(k++);
    return b.op("DequantizeLinear", {v, b.constant("s" + id, Tensor::scalar<float>(s)), b.constant("z" + id, int8_scalar(t, zp + zp_shift))}, {}, "dq" + id);
  };
  auto conv = [&](const std::string& x, float xs, int xz, int64_t cin, int64_t cout, int64_t ks, int64_t group,
                  int w_max, bool relu, float ys, int yz) {
    const std::string id = std::to_string(k++);
    Tensor w(DType::kInt8, {cout, cin / group, ks, ks});
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = int8_t(int(rng.below(uint64_t(2 * w_max + 1))) - w_max);
    Tensor ws(DType::kFloat32, {cout}), bias(DType::kFloat32, {cout});
    for (int64_t i = 0; i < cout; ++i) {
      ws.data<float>()[i] = rng.uniform(0.002f, 0.01f);
      bias.data<float>()[i] = rng.uniform(-0.3f, 0.3f);
    }
    auto wd = b.op("DequantizeLinear", {b.constant("w" + id, w), b.constant("ws" + id, ws), b.constant("wz" + id, Tensor(DType::kInt8, {cout}))},
                   {{"axis", int64_t(0)}}, "dqw" + id);
    const int64_t p = ks / 2;
    auto y = b.op("Conv", {dq(x, xs, xz), wd, b.constant("b" + id, bias)}, {{"pads", Ints{p, p, p, p}}, {"group", group}}, "conv" + id);
    if (relu) y = b.op("Relu", {y}, {}, "relu" + id);
    return q(y, ys, yz);
  };
  auto xq = q("x", 0.02f, 128);
  auto c1 = conv(xq, 0.02f, 128, 8, 16, 3, 1, 63, true, 0.03f, 0);
  auto pool = q(b.op("MaxPool", {dq(c1, 0.03f, 0)}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}, "mp"), 0.03f, 0);
  auto c2 = conv(pool, 0.03f, 0, 16, 16, 3, 1, 127, false, 0.05f, 120);
  auto r1 = q(b.op("Relu", {b.op("Add", {dq(c2, 0.05f, 120), dq(pool, 0.03f, 0)}, {}, "add1")}, {}, "relu_add1"), 0.04f, 0);
  auto c3 = conv(r1, 0.04f, 0, 16, 16, 1, 1, 63, false, 0.05f, 128);
  auto c4 = conv(c3, 0.05f, 128, 16, 16, 3, 16, 127, true, 0.02f, 0);
  auto r2 = q(b.op("Add", {dq(c4, 0.02f, 0), dq(r1, 0.04f, 0)}, {}, "add2"), 0.06f, 100);
  auto y = b.op("GlobalAveragePool", {dq(r2, 0.06f, 100)}, {}, "gap");
  g.outputs.push_back({c3, t, std::nullopt, ""});
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

Tensor input(uint64_t seed) {
  Rng rng(seed);
  Tensor x(DType::kFloat32, {1, 8, 12, 12});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-3.f, 3.f);
  return x;
}

class ChannelsLastInt8 : public ::testing::TestWithParam<DType> {};

TEST_P(ChannelsLastInt8, ReferenceKernelsBitIdenticalToPlainGraph) {
  const ir::Graph plain = passes::optimize_for_runtime(qdq_net(GetParam()));
  const ir::Graph last = passes::channels_last_int8(plain);
  EXPECT_EQ(count_op(plain, "QConv"), 4);
  EXPECT_EQ(count_op(plain, "QAdd"), 2);
  EXPECT_EQ(count_op(last, "NhwcQConv"), 4);
  EXPECT_EQ(count_op(last, "NhwcMaxPool"), 1);
  EXPECT_EQ(count_op(last, "QAdd"), 2);
  // Borders: into the first convolution; out for the mid-region output and for the float head.
  int in = 0, out = 0;
  for (const auto& n : last.nodes)
    if (n.op_type == "Transpose") {
      const auto& perm = n.attrs_as<ops::TransposeAttrs>().perm;
      in += perm == Ints{0, 2, 3, 1};
      out += perm == Ints{0, 3, 1, 2};
    }
  EXPECT_EQ(in, 1);
  EXPECT_EQ(out, 2);
  const runtime::SessionOptions ref{.optimize = false, .reference_only = true};
  runtime::Session a(plain, ref), b(last, ref);
  for (uint64_t seed : {1, 2}) {
    const auto ya = a.run({input(seed)}), yb = b.run({input(seed)});
    ASSERT_EQ(ya[0].shape(), yb[0].shape());
    ASSERT_EQ(ya[0].dtype(), yb[0].dtype());
    for (int64_t i = 0; i < ya[0].numel(); ++i) ASSERT_EQ(ya[0].as_int64(i), yb[0].as_int64(i)) << i;
    ASSERT_EQ(ya[1].shape(), yb[1].shape());
    for (int64_t i = 0; i < ya[1].numel(); ++i) EXPECT_NEAR(ya[1].as_double(i), yb[1].as_double(i), 1e-6);
  }
}

TEST_P(ChannelsLastInt8, FastKernelsRunWithoutReorders) {
  const ir::Graph g = qdq_net(GetParam());
  runtime::Session fast(g), ref(g, {.optimize = false, .reference_only = true});
  const auto ya = fast.run({input(3)}), yb = ref.run({input(3)});
  int64_t steps = 0;
  for (int64_t i = 0; i < yb[0].numel(); ++i) steps = std::max<int64_t>(steps, std::abs(ya[0].as_int64(i) - yb[0].as_int64(i)));
  EXPECT_LE(steps, 1);
  for (int64_t i = 0; i < yb[1].numel(); ++i) EXPECT_NEAR(ya[1].as_double(i), yb[1].as_double(i), 0.06);
  int convs = 0;
  for (size_t i = 0; i < fast.graph().nodes.size(); ++i) {
    const auto& n = fast.graph().nodes[i];
    const std::string kernel = fast.kernel_names()[i].second;
    EXPECT_NE(n.op_type, "QConv");
    if (n.op_type == "NhwcQConv") {
      ++convs;
      const bool depthwise = n.attrs_as<ops::ChannelsLastAttrs>().inner.attrs_as<ops::QConvAttrs>().group > 1;
      if (depthwise) {
        EXPECT_EQ(kernel, "cpu:qconv-dw");
      } else {
        EXPECT_EQ(kernel.rfind("onednn:qconv", 0), 0u) << kernel;
        EXPECT_NE(kernel.find("-nhwc"), std::string::npos) << kernel;
        EXPECT_EQ(kernel.find("+reorder"), std::string::npos) << kernel;
      }
    }
    if (n.op_type == "NhwcMaxPool") {
      EXPECT_EQ(kernel, "onednn:pool");
    } else if (n.op_type == "Transpose") {
      EXPECT_EQ(kernel, "onednn:reorder");
    } else if (n.op_type == "QAdd") {
      EXPECT_EQ(kernel, "cpu:qadd");
    }
  }
  EXPECT_EQ(convs, 4);
}

INSTANTIATE_TEST_SUITE_P(Types, ChannelsLastInt8, ::testing::Values(DType::kUInt8, DType::kInt8),
                         [](const ::testing::TestParamInfo<DType>& i) { return std::string(dtype_name(i.param)); });

// Transpose's fast kernel for the border permutations matches the reference on several dtypes.
TEST(ChannelsLastInt8, BorderTransposesMatchReference) {
  for (DType t : {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt32}) {
    for (const Ints& perm : {Ints{0, 2, 3, 1}, Ints{0, 3, 1, 2}}) {
      ir::Graph g;
      g.opsets = {{"", 17}};
      g.inputs.push_back({"x", t, std::nullopt, ""});
      ir::GraphBuilder(g).op("Transpose", {"x"}, {{"perm", perm}}, "t");
      g.outputs.push_back({g.nodes[0].outputs[0], t, std::nullopt, ""});
      ops::bind_all(g);
      Tensor x(t, {2, 5, 3, 7});
      auto* p = static_cast<uint8_t*>(x.raw());
      for (size_t i = 0; i < size_t(x.numel()) * dtype_size(t); ++i) p[i] = uint8_t(i * 37 + 11);
      runtime::Session fast(g), ref(g, {.reference_only = true});
      const Tensor a = fast.run({x})[0], b = ref.run({x})[0];
      EXPECT_EQ(fast.kernel_names()[0].second, "onednn:reorder");
      ASSERT_EQ(a.shape(), b.shape());
      EXPECT_EQ(std::memcmp(a.raw(), b.raw(), size_t(a.numel()) * dtype_size(t)), 0) << dtype_name(t);
    }
  }
}

}  // namespace
}  // namespace shrink
