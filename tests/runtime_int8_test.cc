// The int8 runtime: QDQ, QOperator and dynamic-quantization graphs fused into com.shrink QConv /
// QMatMul (passes/fuse_qdq.cc, fuse_qoperators.cc) and run by oneDNN's int8 kernels must match the
// unfused graph on reference kernels within one quantization step, on awkward shapes (odd
// channels, groups, depthwise, stride 2), per-tensor and per-channel scales, u8/s8, zero points 0
// and not, 7-bit and full 8-bit weights (the split path on CPUs without VNNI).
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include <cmath>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {

using test_util::int8_scalar;
using test_util::random_int8;
using test_util::value_info;
namespace {


using Ints = std::vector<int64_t>;

struct Outcome {
  int64_t max_diff = 0;   // in output units (quantization steps for int8 outputs)
  double max_float = 0;   // float outputs: max |diff| relative to max |reference|
  std::string kernel;     // kernel of the fused int8 node
  int fused_nodes = 0;    // com.shrink QConv / QMatMul nodes after the passes
};

// Runs g fused (fast kernels) and unfused (reference kernels everywhere) and compares.
Outcome compare(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  runtime::Session fused(g), ref(g, {.optimize = false, .reference_only = true});
  auto a = fused.run(inputs), b = ref.run(inputs);
  Outcome o;
  for (size_t i = 0; i < fused.graph().nodes.size(); ++i) {
    const auto& n = fused.graph().nodes[i];
    if (n.domain == "com.shrink" && (n.op_type == "QConv" || n.op_type == "NhwcQConv" || n.op_type == "QMatMul")) {
      ++o.fused_nodes;
      o.kernel = fused.kernel_names()[i].second;
    }
  }
  double scale = 1e-30;
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].dtype(), b[k].dtype());
    EXPECT_EQ(a[k].shape(), b[k].shape());
    for (int64_t i = 0; i < b[k].numel(); ++i) {
      const double d = std::fabs(a[k].as_double(i) - b[k].as_double(i));
      if (is_float(b[k].dtype())) {
        o.max_float = std::max(o.max_float, d);
        scale = std::max(scale, std::fabs(b[k].as_double(i)));
      } else {
        o.max_diff = std::max(o.max_diff, int64_t(d));
      }
    }
  }
  o.max_float /= scale;
  return o;
}

// One conv / matmul case of the QDQ form.
struct QdqCase {
  std::string op;        // Conv, MatMul, Gemm
  Shape x, w;            // float shapes (Gemm with trans_b: w is [N, K])
  ir::AttributeMap attrs;
  bool per_channel = false;
  DType x_type = DType::kUInt8;
  int x_zp = 0;
  int w_max = 63;        // weights in [-w_max, w_max]
  std::string act;       // "", Relu, Clip
  bool requant = true;   // QuantizeLinear after (else float output)
  bool bias = true;
  DType y_type = DType::kUInt8;
  int y_zp = 0;
};

std::string build_qdq(ir::Graph& g, const QdqCase& c, Rng& rng, std::vector<Tensor>& inputs) {
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x_q", c.x_type, c.x));
  const auto [lo, hi] = c.x_type == DType::kUInt8 ? std::pair{0, 255} : std::pair{-128, 127};
  inputs.push_back(random_int8(rng, c.x_type, c.x, lo, hi));
  const float xs = 0.02f;
  auto xq_s = b.constant("x_scale", Tensor::scalar<float>(xs));
  auto xq_z = b.constant("x_zp", int8_scalar(c.x_type, c.x_zp));
  auto x = b.op("DequantizeLinear", {"x_q", xq_s, xq_z}, {}, "dq_x");
  const bool trans_b = c.op == "Gemm" && c.attrs.count("transB");
  const int64_t channels = c.op == "Conv" || trans_b ? c.w[0] : c.w[1];
  const int64_t axis = c.op == "Conv" || trans_b ? 0 : 1;
  Tensor ws(DType::kFloat32, {c.per_channel ? channels : 1});
  for (int64_t i = 0; i < ws.numel(); ++i) ws.data<float>()[i] = rng.uniform(0.002f, 0.01f);
  if (!c.per_channel) ws = ws.reshaped({});
  auto wq = b.constant("w_q", random_int8(rng, DType::kInt8, c.w, -c.w_max, c.w_max));
  Tensor wz(DType::kInt8, ws.shape());
  auto w = b.op("DequantizeLinear", {wq, b.constant("w_scale", ws.clone()), b.constant("w_zp", wz)},
                {{"axis", axis}}, "dq_w");
  std::vector<std::string> in{x, w};
  if (c.bias) {
    Tensor bq(DType::kInt32, {channels}), bs(DType::kFloat32, {channels});
    for (int64_t i = 0; i < channels; ++i) {
      bq.data<int32_t>()[i] = int32_t(rng.below(2001)) - 1000;
      bs.data<float>()[i] = xs * ws.data<float>()[c.per_channel ? i : 0];
    }
    in.push_back(b.op("DequantizeLinear", {b.constant("b_q", bq), b.constant("b_scale", bs)}, {{"axis", int64_t(0)}}, "dq_b"));
    if (c.op == "MatMul") in.pop_back();
  }
  auto y = b.op(c.op, in, c.attrs, "op");
  if (c.op == "MatMul" && c.bias) {
    Tensor bf(DType::kFloat32, {channels});
    for (int64_t i = 0; i < channels; ++i) bf.data<float>()[i] = rng.uniform(-0.5f, 0.5f);
    y = b.op("Add", {y, b.constant("bias", bf)}, {}, "add");
  }
  if (c.act == "Relu") y = b.op("Relu", {y}, {}, "relu");
  if (c.act == "Clip")
    y = b.op("Clip", {y, b.constant("lo", Tensor::scalar<float>(-0.3f)), b.constant("hi", Tensor::scalar<float>(0.6f))},
             {}, "clip");
  if (c.requant)
    y = b.op("QuantizeLinear", {y, b.constant("y_scale", Tensor::scalar<float>(0.05f)), b.constant("y_zp", int8_scalar(c.y_type, c.y_zp))},
             {}, "q_y");
  g.outputs.push_back({y, c.requant ? c.y_type : DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return y;
}

class QdqFusion : public ::testing::TestWithParam<QdqCase> {};

TEST_P(QdqFusion, MatchesUnfusedReferenceWithinOneStep) {
  const QdqCase& c = GetParam();
  Rng rng(17);
  ir::Graph g;
  std::vector<Tensor> inputs;
  build_qdq(g, c, rng, inputs);
  const Outcome o = compare(g, inputs);
  EXPECT_EQ(o.fused_nodes, 1);
  // Matrix products with 7-bit weights run on shrink's AVX2 kernel (runtime/cpu/qmatmul_kernel.cc),
  // depthwise convolutions on cpu:qconv-dw.
  const bool depthwise = c.op == "Conv" && c.attrs.count("group") && std::get<int64_t>(c.attrs.at("group")) == c.w[0] && c.w[1] == 1;
  const char* want = depthwise         ? "cpu:qconv-dw"
                     : c.op == "Conv"  ? "onednn:qconv"
                     : c.w_max <= 64   ? "cpu:qmatmul-avx2"
                                       : "onednn:qmatmul";
  EXPECT_EQ(o.kernel.rfind(want, 0), 0u) << o.kernel;
  EXPECT_LE(o.max_diff, 1);
  EXPECT_LE(o.max_float, 1e-4);
}

QdqCase conv(Shape x, Shape w, ir::AttributeMap attrs = {}) {
  QdqCase c;
  c.op = "Conv";
  c.x = std::move(x);
  c.w = std::move(w);
  c.attrs = std::move(attrs);
  return c;
}
QdqCase with(QdqCase c, auto f) {
  f(c);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, QdqFusion,
    ::testing::Values(
        conv({1, 3, 13, 13}, {7, 3, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}),
        with(conv({2, 13, 9, 7}, {5, 13, 3, 3}, {{"strides", Ints{2, 2}}}), [](QdqCase& c) { c.per_channel = true; c.x_zp = 131; c.y_zp = 7; }),
        with(conv({1, 13, 7, 7}, {13, 1, 3, 3}, {{"group", int64_t(13)}, {"pads", Ints{1, 1, 1, 1}}}),
             [](QdqCase& c) { c.per_channel = true; c.x_type = DType::kInt8; c.x_zp = -5; c.y_type = DType::kInt8; c.act = "Relu"; }),
        with(conv({1, 24, 9, 9}, {24, 1, 3, 3}, {{"group", int64_t(24)}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}),
             [](QdqCase& c) { c.per_channel = true; c.w_max = 127; c.x_zp = 200; c.act = "Relu"; }),
        with(conv({1, 12, 8, 8}, {6, 4, 3, 3}, {{"group", int64_t(3)}, {"pads", Ints{1, 0, 1, 0}}}),
             [](QdqCase& c) { c.w_max = 127; c.x_zp = 100; c.act = "Clip"; }),
        with(conv({1, 16, 11, 11}, {16, 16, 3, 3}, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}),
             [](QdqCase& c) { c.per_channel = true; c.w_max = 127; c.x_type = DType::kInt8; c.y_type = DType::kInt8; c.y_zp = -3; }),
        with(conv({1, 7, 5, 5}, {3, 7, 1, 1}), [](QdqCase& c) { c.requant = false; c.act = "Relu"; c.x_zp = 9; }),
        with(conv({1, 7, 5, 5}, {3, 7, 3, 3}), [](QdqCase& c) { c.requant = false; c.bias = false; c.w_max = 127; }),
        QdqCase{"MatMul", {13, 127}, {127, 7}},
        QdqCase{"MatMul", {2, 3, 33}, {33, 17}, {}, true, DType::kInt8, 3, 127, "Relu"},
        QdqCase{"MatMul", {5, 64}, {64, 9}, {}, true, DType::kUInt8, 128, 127, "", false},
        QdqCase{"Gemm", {7, 31}, {13, 31}, {{"transB", int64_t(1)}}, true, DType::kUInt8, 77, 63, "Clip"},
        QdqCase{"Gemm", {4, 19}, {19, 11}, {}, false, DType::kInt8, 0, 127, "", true, true, DType::kInt8, 5},
        QdqCase{"Gemm", {3, 8}, {5, 8}, {{"transB", int64_t(1)}}, true, DType::kUInt8, 0, 127, "", false}),
    [](const ::testing::TestParamInfo<QdqCase>& i) { return i.param.op + "_" + std::to_string(i.index); });

}  // namespace
}  // namespace shrink

namespace shrink {
namespace {

// QLinearConv (int32 bias, per-channel w) and QLinearMatMul map onto the same int8 kernels.
TEST(QOperatorFusion, QLinearConvAndMatMulMatchReference) {
  Rng rng(23);
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x", DType::kUInt8, {1, 5, 9, 9}));
  Tensor ws(DType::kFloat32, {6}), bias(DType::kInt32, {6});
  for (int64_t i = 0; i < 6; ++i) {
    ws.data<float>()[i] = rng.uniform(0.002f, 0.01f);
    bias.data<int32_t>()[i] = int32_t(rng.below(4001)) - 2000;
  }
  auto c = b.op("QLinearConv",
                {"x", b.constant("xs", Tensor::scalar<float>(0.03f)), b.constant("xz", int8_scalar(DType::kUInt8, 120)),
                 b.constant("w", random_int8(rng, DType::kInt8, {6, 5, 3, 3}, -127, 127)), b.constant("ws", ws),
                 b.constant("wz", Tensor(DType::kInt8, {6})), b.constant("ys", Tensor::scalar<float>(0.04f)),
                 b.constant("yz", int8_scalar(DType::kUInt8, 10)), b.constant("b", bias)},
                {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}, "qconv");
  auto r = b.op("Reshape", {c, b.constant("shape", Tensor::from_vector<int64_t>({1, 150}, {2}))}, {}, "flat");
  auto y = b.op("QLinearMatMul",
                {r, b.constant("as", Tensor::scalar<float>(0.04f)), b.constant("az", int8_scalar(DType::kUInt8, 10)),
                 b.constant("m", random_int8(rng, DType::kInt8, {150, 7}, -127, 127)),
                 b.constant("ms", Tensor::scalar<float>(0.004f)), b.constant("mz", int8_scalar(DType::kInt8, 0)),
                 b.constant("os", Tensor::scalar<float>(0.2f)), b.constant("oz", int8_scalar(DType::kInt8, -4))},
                {}, "qmm");
  g.outputs.push_back({y, DType::kInt8, std::nullopt, ""});
  ops::bind_all(g);
  const Outcome o = compare(g, {random_int8(rng, DType::kUInt8, {1, 5, 9, 9}, 0, 255)});
  EXPECT_EQ(o.fused_nodes, 2);
  EXPECT_LE(o.max_diff, 1);
}

// ORT's quantize_dynamic form: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(x_s * w_s) -> Add
// [-> Relu], the Relu absorbed as the fused node's activation.
TEST(DynamicFusion, MatMulIntegerRescaleMatchesReference) {
  for (bool per_channel : {false, true})
    for (bool relu : {false, true}) {
      SCOPED_TRACE(std::string(per_channel ? "per-channel" : "per-tensor") + (relu ? " relu" : ""));
      Rng rng(29);
      ir::Graph g;
      g.opsets = {{"", 17}};
      ir::GraphBuilder b(g);
      g.inputs.push_back(value_info("x", DType::kFloat32, {3, 5, 37}));
      auto d = b.node("DynamicQuantizeLinear", {"x"}, {}, "dql", 3);
      Tensor ws(DType::kFloat32, {per_channel ? 11 : 1});
      for (int64_t i = 0; i < ws.numel(); ++i) ws.data<float>()[i] = rng.uniform(0.002f, 0.01f);
      auto w = b.constant("w", random_int8(rng, DType::kInt8, {37, 11}, -127, 127));
      auto mm = b.op("MatMulInteger", {d[0], w, d[2], b.constant("wz", Tensor(DType::kInt8, {ws.numel()}))}, {}, "mmi");
      auto cast = b.op("Cast", {mm}, {{"to", int64_t(DType::kFloat32)}}, "cast");
      auto s = b.op("Mul", {d[1], b.constant("ws", ws)}, {}, "scales");
      auto y = b.op("Mul", {cast, s}, {}, "rescale");
      Tensor bias(DType::kFloat32, {11});
      for (int64_t i = 0; i < 11; ++i) bias.data<float>()[i] = rng.uniform(-1.f, 1.f);
      y = b.op("Add", {y, b.constant("bias", bias)}, {}, "add");
      if (relu) y = b.op("Relu", {y}, {}, "relu");
      g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
      ops::bind_all(g);
      Tensor x(DType::kFloat32, {3, 5, 37});
      for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-3.f, 2.f);
      const Outcome o = compare(g, {x});
      EXPECT_EQ(o.fused_nodes, 1);
      EXPECT_EQ(o.kernel.rfind("onednn:qmatmul", 0), 0u) << o.kernel;
      EXPECT_LE(o.max_float, 1e-5);
      runtime::Session fused(g);
      EXPECT_EQ(fused.graph().nodes.size(), 2u) << "DynamicQuantizeLinear and QMatMul";
    }
}

// The same form around ConvInteger maps onto QConv (its run-time x_scale keeps it on the reference
// kernel: oneDNN 2.6 CPU convolutions take no run-time output scales).
TEST(DynamicFusion, ConvIntegerRescaleMatchesReference) {
  Rng rng(41);
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x", DType::kFloat32, {1, 3, 7, 7}));
  auto d = b.node("DynamicQuantizeLinear", {"x"}, {}, "dql", 3);
  auto w = b.constant("w", random_int8(rng, DType::kUInt8, {5, 3, 3, 3}, 0, 255));
  auto ci = b.op("ConvInteger", {d[0], w, d[2], b.constant("wz", int8_scalar(DType::kUInt8, 131))},
                 {{"pads", Ints{1, 1, 1, 1}}}, "ci");
  auto cast = b.op("Cast", {ci}, {{"to", int64_t(DType::kFloat32)}}, "cast");
  auto s = b.op("Mul", {b.constant("ws", Tensor::scalar<float>(0.004f)), d[1]}, {}, "scales");
  auto y = b.op("Mul", {s, cast}, {}, "rescale");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  Tensor x(DType::kFloat32, {1, 3, 7, 7});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 2.f);
  const Outcome o = compare(g, {x});
  EXPECT_EQ(o.fused_nodes, 1);
  EXPECT_LE(o.max_float, 1e-5);
}

// MaxPool and reshapes between quantized values run on the int8 values, bit-exactly.
TEST(Int8Movers, MaxPoolAndFlattenStayInt8) {
  Rng rng(31);
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x", DType::kInt8, {2, 3, 7, 7}));
  auto s = b.constant("s", Tensor::scalar<float>(0.1f));
  auto z = b.constant("z", int8_scalar(DType::kInt8, 3));
  auto dq = b.op("DequantizeLinear", {"x", s, z}, {}, "dq");
  auto p = b.op("MaxPool", {dq}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}}, "pool");
  auto q = b.op("QuantizeLinear", {p, s, z}, {}, "q");
  auto dq2 = b.op("DequantizeLinear", {q, s, z}, {}, "dq2");
  auto f = b.op("Flatten", {dq2}, {}, "flat");
  auto y = b.op("QuantizeLinear", {f, s, z}, {}, "q2");
  g.outputs.push_back({y, DType::kInt8, std::nullopt, ""});
  ops::bind_all(g);
  runtime::Session fused(g);
  EXPECT_EQ(fused.graph().nodes.size(), 2u);
  fused.run({random_int8(rng, DType::kInt8, {2, 3, 7, 7}, -128, 127)});
  EXPECT_EQ(fused.kernel_names()[0].second, "onednn:pool");
  const Outcome o = compare(g, {random_int8(rng, DType::kInt8, {2, 3, 7, 7}, -128, 127)});
  EXPECT_EQ(o.max_diff, 0);
}

// A zero, negative, NaN or infinite constant scale is refused when the model is bound (shrink info
// and shrink run exit 2), naming the node.
TEST(Int8Validation, BadConstantScalesAreBadInputAtLoad) {
  for (float bad : {0.f, -1.f, NAN, INFINITY}) {
    ir::Graph g;
    g.opsets = {{"", 17}};
    ir::GraphBuilder b(g);
    g.inputs.push_back(value_info("x", DType::kFloat32, {4}));
    auto y = b.op("QuantizeLinear", {"x", b.constant("s", Tensor::scalar<float>(bad))}, {}, "quant");
    g.outputs.push_back({y, DType::kUInt8, std::nullopt, ""});
    try {
      ops::bind_all(g);
      ADD_FAILURE() << "scale " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
      EXPECT_NE(std::string(e.what()).find("'quant'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace shrink

namespace shrink {
namespace {

// The AVX2 QuantizeLinear / DequantizeLinear kernels are bit-identical to the reference, including
// ties (x / scale = k + 0.5), NaN, infinities and saturation, on a length with a scalar tail.
TEST(Int8Boundaries, QuantizeDequantizeMatchReferenceExactly) {
  for (DType t : {DType::kUInt8, DType::kInt8}) {
    ir::Graph g;
    g.opsets = {{"", 17}};
    ir::GraphBuilder b(g);
    g.inputs.push_back(value_info("x", DType::kFloat32, {1001}));
    auto s = b.constant("s", Tensor::scalar<float>(0.25f));
    auto z = b.constant("z", int8_scalar(t, t == DType::kUInt8 ? 3 : -3));
    auto q = b.op("QuantizeLinear", {"x", s, z}, {}, "q");
    auto y = b.op("DequantizeLinear", {q, s, z}, {}, "dq");
    g.outputs.push_back({q, t, std::nullopt, ""});
    g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
    ops::bind_all(g);
    Rng rng(37);
    Tensor x(DType::kFloat32, {1001});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = float(int(rng.below(601)) - 300) * 0.125f;
    x.data<float>()[5] = NAN;
    x.data<float>()[6] = INFINITY;
    x.data<float>()[7] = -INFINITY;
    x.data<float>()[1000] = NAN;
    runtime::Session fast(g), ref(g, {.optimize = false, .reference_only = true});
    auto a = fast.run({x}), r = ref.run({x});
    EXPECT_EQ(fast.kernel_names()[0].second, "cpu:quantize");
    EXPECT_EQ(fast.kernel_names()[1].second, "cpu:dequantize");
    for (size_t k = 0; k < 2; ++k)
      for (int64_t i = 0; i < r[k].numel(); ++i) ASSERT_EQ(a[k].as_double(i), r[k].as_double(i)) << k << " " << i;
  }
}

}  // namespace
}  // namespace shrink
