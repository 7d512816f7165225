// shrink's own int8 kernels (runtime/cpu) against the reference kernels, bit for bit: QMatMul on
// the AVX2 u8 x s8 product (static and dynamic x parameters, u8/s8 x, u8/s8/f32 y, Relu/Clip,
// per-tensor and per-channel w, bias or not, batched x, odd M/K/N, 1 and 2 threads),
// DynamicQuantizeLinear and MatMulInteger of two run-time operands; and that the fast kernel is
// the one chosen (oneDNN keeps QMatMul weights beyond |w - w_zp| <= 64).
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::random_int8;
using test_util::int8_scalar;
using test_util::value_info;

// Runs g with fast kernels (threads 1 and 2) and reference kernels, without graph passes; every
// output must be bit-identical. Returns the fast kernel of node 0.
std::string expect_bit_identical(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  const auto want = ref.run(inputs);
  std::string kernel;
  for (int threads : {1, 2}) {
    runtime::Session fast(g, {.threads = threads, .optimize = false});
    const auto got = fast.run(inputs);
    kernel = fast.kernel_names().at(0).second;
    EXPECT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size() && k < want.size(); ++k) {
      EXPECT_EQ(got[k].dtype(), want[k].dtype());
      EXPECT_EQ(got[k].shape(), want[k].shape());
      if (got[k].bit_equal(want[k])) continue;
      int64_t first = 0;
      while (first < want[k].numel() && got[k].as_double(first) == want[k].as_double(first)) ++first;
      ADD_FAILURE() << "output " << k << " differs (threads " << threads << ", kernel " << kernel << ") first at " << first
                    << ": " << got[k].as_double(first) << " vs reference " << want[k].as_double(first);
    }
  }
  return kernel;
}

struct QMatMulCase {
  Shape x;  // [..., K]
  int64_t n;
  DType x_type = DType::kUInt8;
  int x_zp = 0;
  bool dynamic = false;  // x_scale / x_zero_point are graph inputs (as after DynamicQuantizeLinear)
  DType w_type = DType::kInt8;
  int w_zp = 0;          // per-channel cases vary it by column
  int w_range = 64;      // w - w_zp in [-w_range, w_range]
  bool per_channel = false;
  bool bias = true;
  std::string act;       // "", Relu, Clip
  DType y_type = DType::kUInt8;  // kFloat32: no requantization
  int y_zp = 0;
  bool ties = false;     // y_scale = 2 x_scale w_scale, no bias: v / y_scale lands on halves
  std::string kernel = "cpu:qmatmul-avx2";
};

ir::Graph qmatmul_graph(const QMatMulCase& c, std::vector<Tensor>& inputs) {
  Rng rng(uint64_t(c.x.back() * 1000 + c.n));
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  const int64_t k = c.x.back(), n = c.n;
  g.inputs.push_back(value_info("x", c.x_type, c.x));
  inputs.push_back(c.x_type == DType::kUInt8 ? random_int8(rng, c.x_type, c.x, 0, 255)
                                             : random_int8(rng, c.x_type, c.x, -128, 127));
  const float xs = c.ties ? 0.5f : rng.uniform(0.01f, 0.05f);
  std::string x_scale = "x_scale", x_zp = "x_zp";
  if (c.dynamic) {
    g.inputs.push_back(value_info(x_scale, DType::kFloat32, {}));
    g.inputs.push_back(value_info(x_zp, c.x_type, {}));
    inputs.push_back(Tensor::scalar<float>(xs));
    inputs.push_back(int8_scalar(c.x_type, c.x_zp));
  } else {
    x_scale = b.constant("x_scale", Tensor::scalar<float>(xs));
    x_zp = b.constant("x_zp", int8_scalar(c.x_type, c.x_zp));
  }
  const int64_t channels = c.per_channel ? n : 1;
  Tensor ws(DType::kFloat32, {channels}), wz(c.w_type, {channels});
  for (int64_t i = 0; i < channels; ++i) {
    ws.data<float>()[i] = c.ties ? 0.25f : rng.uniform(0.002f, 0.01f);
    const int z = c.w_zp + (c.per_channel ? int(i % 5) - 2 : 0);
    if (c.w_type == DType::kUInt8) wz.data<uint8_t>()[i] = uint8_t(z);
    else wz.data<int8_t>()[i] = int8_t(z);
  }
  if (!c.per_channel) ws = ws.reshaped({}), wz = wz.reshaped({});
  Tensor w(c.w_type, {k, n});
  for (int64_t i = 0; i < k * n; ++i) {
    const int z = int(wz.as_int64(c.per_channel ? i % n : 0));
    const int v = z - c.w_range + int(rng.below(uint64_t(2 * c.w_range + 1)));
    if (c.w_type == DType::kUInt8) w.data<uint8_t>()[i] = uint8_t(std::clamp(v, 0, 255));
    else w.data<int8_t>()[i] = int8_t(std::clamp(v, -128, 127));
  }
  std::string bias;
  if (c.bias) {
    Tensor bt(DType::kFloat32, {n});
    for (int64_t i = 0; i < n; ++i) bt.data<float>()[i] = rng.uniform(-2.f, 2.f);
    bias = b.constant("bias", bt);
  }
  std::string y_scale, y_zp;
  if (c.y_type != DType::kFloat32) {
    y_scale = b.constant("y_scale", Tensor::scalar<float>(c.ties ? 2 * xs * 0.25f : 0.05f));
    y_zp = b.constant("y_zp", int8_scalar(c.y_type, c.y_zp));
  }
  ir::AttributeMap attrs;
  if (!c.act.empty()) attrs["activation"] = c.act;
  if (c.act == "Clip") attrs["alpha"] = -0.7f, attrs["beta"] = 1.3f;
  auto y = b.node("QMatMul",
                  {"x", x_scale, x_zp, b.constant("w", w), b.constant("w_scale", ws), b.constant("w_zp", wz), bias,
                   y_scale, y_zp},
                  attrs, "qmm", 1, "com.shrink")[0];
  g.outputs.push_back({y, c.y_type, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

class QMatMulAvx2 : public ::testing::TestWithParam<QMatMulCase> {};

TEST_P(QMatMulAvx2, BitIdenticalToReferenceInt8) {
  std::vector<Tensor> inputs;
  const ir::Graph g = qmatmul_graph(GetParam(), inputs);
  EXPECT_EQ(expect_bit_identical(g, inputs), GetParam().kernel);
}

QMatMulCase q(Shape x, int64_t n, auto f) {
  QMatMulCase c{.x = std::move(x), .n = n};
  f(c);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, QMatMulAvx2,
    ::testing::Values(
        QMatMulCase{.x = {1, 7}, .n = 13},
        q({1, 300}, 500, [](QMatMulCase& c) { c.x_zp = 128; c.act = "Relu"; }),  // GEMV over two threads
        q({3, 33}, 17, [](QMatMulCase& c) { c.x_zp = 77; c.per_channel = true; c.y_zp = 9; }),
        q({17, 31}, 45, [](QMatMulCase& c) { c.x_type = DType::kInt8; c.x_zp = -5; c.y_type = DType::kInt8; c.y_zp = -3; }),
        q({64, 130}, 33, [](QMatMulCase& c) { c.dynamic = true; c.x_zp = 131; c.y_type = DType::kFloat32; }),
        q({130, 67}, 45, [](QMatMulCase& c) { c.dynamic = true; c.x_zp = 1; c.per_channel = true; c.act = "Clip"; c.y_type = DType::kFloat32; }),
        q({2, 3, 29}, 16, [](QMatMulCase& c) { c.w_type = DType::kUInt8; c.w_zp = 128; c.per_channel = true; c.act = "Clip"; }),
        q({2, 5, 64}, 31, [](QMatMulCase& c) { c.dynamic = true; c.x_type = DType::kInt8; c.x_zp = 3; c.bias = false; c.y_type = DType::kInt8; }),
        q({5, 10}, 1, [](QMatMulCase& c) { c.ties = true; c.bias = false; c.x_zp = 0; }),
        q({9, 258}, 23, [](QMatMulCase& c) { c.ties = true; c.bias = false; c.x_zp = 200; c.y_type = DType::kInt8; c.y_zp = 1; }),
        q({130, 784}, 100, [](QMatMulCase& c) { c.dynamic = true; c.x_zp = 128; c.per_channel = true; c.act = "Relu"; }),
        q({7, 45}, 40, [](QMatMulCase& c) { c.x_type = DType::kInt8; c.x_zp = 127; c.act = "Clip"; c.y_type = DType::kFloat32; }),
        q({1, 1, 300}, 500, [](QMatMulCase& c) { c.dynamic = true; c.x_type = DType::kInt8; c.x_zp = -128; c.per_channel = true; })),
    [](const ::testing::TestParamInfo<QMatMulCase>& i) { return "case_" + std::to_string(i.index); });

// Weights beyond the vpmaddubsw range (|w - w_zp| up to 127) go to oneDNN's kernel (its split).
TEST(QMatMulAvx2Choice, WideInt8WeightsFallBackToOneDnn) {
  for (int range : {64, 65, 127}) {
    QMatMulCase c{.x = {4, 33}, .n = 17, .w_range = range};
    std::vector<Tensor> inputs;
    const ir::Graph g = qmatmul_graph(c, inputs);
    runtime::Session fast(g, {.optimize = false});
    fast.run(inputs);
    EXPECT_EQ(fast.kernel_names().at(0).second, range <= 64 ? "cpu:qmatmul-avx2" : "onednn:qmatmul-split") << range;
  }
}

}  // namespace
}  // namespace shrink

namespace shrink {
namespace {

// DynamicQuantizeLinear: the AVX2 kernel against the reference, on lengths around the vector
// widths and the parallel grain, with ties (a range of 63.75 gives scale 0.25 and x / scale on
// halves), values next to halves under an inexact scale (division and multiplication by the
// reciprocal round them apart), NaN, infinities, all-zero, all-positive and all-negative inputs.
TEST(DynamicQuantizeAvx2, BitIdenticalToReferenceInt8) {
  struct Case {
    int64_t n;
    std::string kind;
  };
  for (const Case& c : {Case{1, "random"}, Case{7, "random"}, Case{32, "ties"}, Case{33, "random"}, Case{1001, "ties"},
                        Case{1001, "nan"}, Case{100003, "random"}, Case{65536, "ties"}, Case{40, "zeros"},
                        Case{77, "positive"}, Case{77, "negative"}, Case{50, "inf"},
                        Case{4099, "near_ties"}}) {
    SCOPED_TRACE(std::to_string(c.n) + " " + c.kind);
    ir::Graph g;
    g.opsets = {{"", 17}};
    ir::GraphBuilder b(g);
    g.inputs.push_back(value_info("x", DType::kFloat32, {c.n}));
    auto d = b.node("DynamicQuantizeLinear", {"x"}, {}, "dql", 3);
    g.outputs.push_back({d[0], DType::kUInt8, std::nullopt, ""});
    g.outputs.push_back({d[1], DType::kFloat32, std::nullopt, ""});
    g.outputs.push_back({d[2], DType::kUInt8, std::nullopt, ""});
    ops::bind_all(g);
    Rng rng(uint64_t(c.n));
    Tensor x(DType::kFloat32, {c.n});
    float* p = x.data<float>();
    for (int64_t i = 0; i < c.n; ++i) {
      if (c.kind == "ties") p[i] = float(int(rng.below(511)) - 254) * 0.125f;  // [-31.75, 32]
      else if (c.kind == "zeros") p[i] = i % 3 ? 0.f : -0.f;
      else if (c.kind == "positive") p[i] = rng.uniform(0.5f, 3.f);
      else if (c.kind == "negative") p[i] = rng.uniform(-3.f, -0.5f);
      else p[i] = rng.uniform(-2.f, 5.f);
    }
    if (c.kind == "ties" && c.n > 1) p[0] = -31.75f, p[c.n - 1] = 32.f;
    if (c.kind == "near_ties") {  // scale 1/255 (inexact): x / scale within an ulp or two of k + 0.5
      const float scale = 1.f / 255.f;
      for (int64_t i = 2; i < c.n; ++i) {
        const float t = float(int(rng.below(251)) - 100) * scale + 0.5f * scale;
        p[i] = std::nextafter(t, rng.below(2) ? 1.f : -1.f);
        if (rng.below(3) == 0) p[i] = t;
      }
      p[0] = -0.4f, p[1] = 0.6f;
    }
    if (c.kind == "nan") p[3] = p[500] = p[c.n - 1] = NAN;
    if (c.kind == "inf") p[9] = INFINITY;
    EXPECT_EQ(expect_bit_identical(g, {x}), "cpu:dynamic-quantize");
  }
}

// MatMulInteger of two run-time operands (attention's products) on sgemm: exact int32 results for
// K up to 258, batched and broadcast shapes, u8 / s8, zero points absent, 0, odd and extreme;
// K = 259 stays on the reference kernel.
struct MatMulIntegerCase {
  Shape a, b;
  DType type = DType::kUInt8;
  int a_zp = 0, b_zp = 0;
  bool zero_points = true;   // zero point inputs given
  bool extreme = false;      // all a at one end of the range, all b at the other
  std::string kernel = "cpu:matmul-integer-sgemm";
};

class MatMulIntegerSgemm : public ::testing::TestWithParam<MatMulIntegerCase> {};

TEST_P(MatMulIntegerSgemm, BitIdenticalToReferenceInt8) {
  const MatMulIntegerCase& c = GetParam();
  Rng rng(uint64_t(c.a.back() * 31 + c.b.back()));
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("a", c.type, c.a));
  g.inputs.push_back(value_info("b", c.type, c.b));
  const bool u = c.type == DType::kUInt8;
  const int lo = u ? 0 : -128, hi = u ? 255 : 127;
  std::vector<Tensor> inputs{random_int8(rng, c.type, c.a, c.extreme ? hi : lo, hi),
                             random_int8(rng, c.type, c.b, lo, c.extreme ? lo : hi)};
  std::vector<std::string> in{"a", "b"};
  if (c.zero_points) {
    g.inputs.push_back(value_info("a_zp", c.type, {}));
    g.inputs.push_back(value_info("b_zp", c.type, {}));
    inputs.push_back(int8_scalar(c.type, c.a_zp));
    inputs.push_back(int8_scalar(c.type, c.b_zp));
    in.push_back("a_zp");
    in.push_back("b_zp");
  }
  auto y = b.op("MatMulInteger", in, {}, "mmi");
  g.outputs.push_back({y, DType::kInt32, std::nullopt, ""});
  ops::bind_all(g);
  EXPECT_EQ(expect_bit_identical(g, inputs), c.kernel);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatMulIntegerSgemm,
    ::testing::Values(MatMulIntegerCase{{1, 4, 17, 64}, {1, 4, 64, 33}, DType::kUInt8, 131, 7},
                      MatMulIntegerCase{{1, 4, 128, 64}, {1, 4, 64, 128}, DType::kUInt8, 128, 128},
                      MatMulIntegerCase{{2, 1, 5, 7}, {3, 7, 9}, DType::kUInt8, 0, 0, false},
                      MatMulIntegerCase{{3, 13}, {13, 1}, DType::kInt8, 0, 5},
                      MatMulIntegerCase{{2, 3, 258}, {258, 11}, DType::kUInt8, 0, 255, true, true},
                      MatMulIntegerCase{{2, 3, 258}, {258, 11}, DType::kInt8, -128, 127, true, true},  // |a - za| = 255
                      MatMulIntegerCase{{1, 259}, {259, 3}, DType::kUInt8, 0, 255, true, true, "ref"}),
    [](const ::testing::TestParamInfo<MatMulIntegerCase>& i) { return "case_" + std::to_string(i.index); });

}  // namespace
}  // namespace shrink

namespace shrink {
namespace {

// Float32 Add / Sub / Mul / Div where one operand repeats along the other's trailing dims (the
// ops around the int8 products of dynamically quantized models), and Cast int32 -> float32:
// bit-identical to the reference kernels; other broadcasts stay on the reference kernel.
TEST(FloatBinaryKernels, BitIdenticalToReferenceAroundInt8Products) {
  struct Case {
    Shape a, b;
    std::string kernel_suffix;  // "" : the reference kernel
  };
  const std::vector<Case> cases{{{3, 37}, {3, 37}, "ok"},   {{1, 4, 9, 13}, {}, "ok"},   {{}, {2, 5, 19}, "ok"},
                                {{2, 7, 45}, {45}, "ok"},   {{45}, {2, 7, 45}, "ok"},   {{2, 7, 45}, {1, 7, 45}, "ok"},
                                {{4, 33, 8}, {1}, "ok"},    {{3, 1}, {3, 5}, ""},        {{3, 5}, {3, 1}, ""},
                                {{2, 1, 5}, {1, 3, 5}, ""}, {{70000}, {70000}, "ok"}, {{3, 40000}, {40000}, "ok"}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(op) + " " + shape_str(c.a) + " " + shape_str(c.b));
      ir::Graph g;
      g.opsets = {{"", 17}};
      ir::GraphBuilder b(g);
      g.inputs.push_back(value_info("a", DType::kFloat32, c.a));
      g.inputs.push_back(value_info("b", DType::kFloat32, c.b));
      g.outputs.push_back({b.op(op, {"a", "b"}, {}, "op"), DType::kFloat32, std::nullopt, ""});
      ops::bind_all(g);
      Rng rng(uint64_t(numel(c.a) + numel(c.b)));
      std::vector<Tensor> in;
      for (const Shape& s : {c.a, c.b}) {
        Tensor t(DType::kFloat32, s);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(0.1f, 3.f) * (rng.below(2) ? 1.f : -1.f);
        in.push_back(t);
      }
      const std::string want = c.kernel_suffix.empty() ? "ref" : "cpu:" + std::string(op == std::string("Add") ? "add"
                                                                                     : op == std::string("Sub") ? "sub"
                                                                                     : op == std::string("Mul") ? "mul"
                                                                                                                : "div");
      EXPECT_EQ(expect_bit_identical(g, in), want);
    }
}

TEST(CastKernel, Int32ToFloatBitIdenticalToReference) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x", DType::kInt32, {1003}));
  g.outputs.push_back({b.op("Cast", {"x"}, {{"to", int64_t(DType::kFloat32)}}, "cast"), DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  Tensor x(DType::kInt32, {1003});
  Rng rng(5);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<int32_t>()[i] = int32_t(rng.below(uint64_t(1) << 32));
  x.data<int32_t>()[0] = (1 << 24) + 1;  // rounds to even
  x.data<int32_t>()[1] = (1 << 24) + 3;
  x.data<int32_t>()[2] = INT32_MIN;
  x.data<int32_t>()[1002] = -((1 << 25) + 6);
  EXPECT_EQ(expect_bit_identical(g, {x}), "cpu:cast-i32-f32");
}

}  // namespace
}  // namespace shrink
