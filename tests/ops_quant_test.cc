// Quantization ops: round-half-to-even ties, saturation, per-axis and blocked layouts on awkward
// shapes, per-row/per-column integer matmul and per-channel integer conv against naive loops, and
// the bad scales / zero points / types that must be refused as kBadInput naming the node.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ops/op.h"

namespace shrink {
namespace {

ir::Node make_node(const std::string& op, size_t n_in, ir::AttributeMap attrs = {}, size_t n_out = 1) {
  ir::Node n;
  n.name = "t";
  n.op_type = op;
  for (size_t i = 0; i < n_in; ++i) n.inputs.push_back("x" + std::to_string(i));
  for (size_t i = 0; i < n_out; ++i) n.outputs.push_back("y" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}

std::vector<Tensor> run(ir::Node n, int64_t opset, std::vector<Tensor> in) {
  ops::bind(n, opset);
  return ops::run_reference(n, in);
}

void expect_bad_input(const std::function<void()>& f, const std::string& must_mention = "'t'") {
  try {
    f();
    ADD_FAILURE() << "expected shrink::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(must_mention), std::string::npos) << e.what();
  }
}

template <class T>
Tensor random_ints(Shape s, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max());
  Tensor t(dtype_of<T>, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = T(d(g));
  return t;
}

TEST(QuantizeLinear, TiesRoundHalfToEven) {
  const auto x = Tensor::from_vector<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f}, {7});
  auto y = run(make_node("QuantizeLinear", 3), 13, {x, Tensor::scalar(1.f), Tensor::scalar<int8_t>(0)})[0];
  EXPECT_EQ(y.to_int64_vector(), (std::vector<int64_t>{0, 2, 2, 0, -2, -2, 4}));
  y = run(make_node("QuantizeLinear", 3), 13, {x, Tensor::scalar(1.f), Tensor::scalar<uint8_t>(128)})[0];
  EXPECT_EQ(y.to_int64_vector(), (std::vector<int64_t>{128, 130, 130, 128, 126, 126, 132}));
}

TEST(QuantizeLinear, Saturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const auto x = Tensor::from_vector<float>({1000.f, -1000.f, 1e30f, inf, -inf, nan}, {6});
  auto y = run(make_node("QuantizeLinear", 3), 13, {x, Tensor::scalar(1.f), Tensor::scalar<uint8_t>(3)})[0];
  EXPECT_EQ(y.to_int64_vector(), (std::vector<int64_t>{255, 0, 255, 255, 0, 3}));
  y = run(make_node("QuantizeLinear", 3), 13, {x, Tensor::scalar(1.f), Tensor::scalar<int8_t>(0)})[0];
  EXPECT_EQ(y.to_int64_vector(), (std::vector<int64_t>{127, -128, 127, 127, -128, 0}));
  y = run(make_node("QuantizeLinear", 2, {{"output_dtype", int64_t(5)}}), 21, {x, Tensor::scalar(0.5f)})[0];
  EXPECT_EQ(y.dtype(), DType::kInt16);
  EXPECT_EQ(y.to_int64_vector(), (std::vector<int64_t>{2000, -2000, 32767, 32767, -32768, 0}));
}

TEST(QuantizeLinear, PerAxisAndBlockedOnAwkwardShapes) {
  std::mt19937 g(7);
  std::uniform_real_distribution<float> d(-3.f, 3.f);
  Tensor x(DType::kFloat32, {2, 7, 13});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(g);
  Tensor s(DType::kFloat32, {7}), z(DType::kUInt8, {7});
  for (int i = 0; i < 7; ++i) {
    s.data<float>()[i] = 0.01f * float(i + 1);
    z.data<uint8_t>()[i] = uint8_t(100 + i);
  }
  const auto y = run(make_node("QuantizeLinear", 3, {{"axis", int64_t(-2)}}), 13, {x, s, z})[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 13) % 7;
    const double q = std::clamp(double(std::nearbyint(x.data<float>()[i] / s.data<float>()[c])) + 100 + double(c), 0.0, 255.0);
    ASSERT_EQ(y.data<uint8_t>()[i], uint8_t(q)) << i;
  }
  // Blocked along axis 1 with a ragged last block: 13 = 4 + 4 + 4 + 1.
  Tensor bs(DType::kFloat32, {2, 7, 4});
  for (int64_t i = 0; i < bs.numel(); ++i) bs.data<float>()[i] = 0.02f * float(i % 5 + 1);
  const auto yb = run(make_node("QuantizeLinear", 2, {{"axis", int64_t(2)}, {"block_size", int64_t(4)}}), 21,
                      {x, bs})[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double q = std::clamp(double(std::nearbyint(x.data<float>()[i] / bs.data<float>()[(i / 13) * 4 + (i % 13) / 4])),
                                0.0, 255.0);
    ASSERT_EQ(yb.data<uint8_t>()[i], uint8_t(q)) << i;
  }
  // And back: DequantizeLinear per axis.
  const auto back = run(make_node("DequantizeLinear", 3, {{"axis", int64_t(1)}}), 13, {y, s, z})[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 13) % 7;
    ASSERT_EQ(back.data<float>()[i], (float(y.data<uint8_t>()[i]) - float(100 + c)) * s.data<float>()[c]);
  }
}

TEST(QuantizeLinear, BadScalesAndTypesAreRefused) {
  const auto x = Tensor::from_vector<float>({1.f, 2.f, 3.f}, {3});
  for (float bad : {0.f, -1.f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    expect_bad_input([&] { run(make_node("QuantizeLinear", 2), 13, {x, Tensor::scalar(bad)}); }, "[QuantizeLinear 't']");
    expect_bad_input([&] {
      run(make_node("DequantizeLinear", 2), 13, {Tensor::from_vector<uint8_t>({1, 2}, {2}), Tensor::scalar(bad)});
    }, "[DequantizeLinear 't']");
    expect_bad_input([&] {
      run(make_node("QuantizeLinear", 3, {{"axis", int64_t(0)}}), 13,
          {x, Tensor::from_vector<float>({1.f, bad, 1.f}, {3}), Tensor::from_vector<uint8_t>({0, 0, 0}, {3})});
    });
  }
  // Scale shape that is neither per-tensor nor per-axis, zero point shape differing from the scale.
  expect_bad_input([&] { run(make_node("QuantizeLinear", 2, {{"axis", int64_t(0)}}), 13, {x, Tensor::from_vector<float>({1.f, 1.f}, {2})}); });
  expect_bad_input([&] {
    run(make_node("QuantizeLinear", 3, {{"axis", int64_t(0)}}), 13,
        {x, Tensor::from_vector<float>({1.f, 1.f, 1.f}, {3}), Tensor::scalar<uint8_t>(0)});
  });
  // Blocked with the wrong number of blocks; float8 output; output_dtype contradicting the zero point.
  expect_bad_input([&] {
    run(make_node("QuantizeLinear", 2, {{"axis", int64_t(0)}, {"block_size", int64_t(2)}}), 21,
        {x, Tensor::from_vector<float>({1.f, 1.f, 1.f}, {3})});
  });
  expect_bad_input([&] { run(make_node("QuantizeLinear", 2, {{"output_dtype", int64_t(17)}}), 21, {x, Tensor::scalar(1.f)}); });
  expect_bad_input([&] {
    run(make_node("QuantizeLinear", 3, {{"output_dtype", int64_t(3)}}), 21, {x, Tensor::scalar(1.f), Tensor::scalar<uint8_t>(0)});
  });
}

TEST(DequantizeLinear, Int32AndZeroPointChecks) {
  const auto x = Tensor::from_vector<int32_t>({-7, 0, 1 << 20}, {3});
  auto y = run(make_node("DequantizeLinear", 3), 13, {x, Tensor::scalar(0.5f), Tensor::scalar<int32_t>(0)})[0];
  EXPECT_EQ(y.data<float>()[0], -3.5f);
  EXPECT_EQ(y.data<float>()[2], float(1 << 19));
  expect_bad_input([&] { run(make_node("DequantizeLinear", 3), 13, {x, Tensor::scalar(0.5f), Tensor::scalar<int32_t>(2)}); },
                   "out of range");
  expect_bad_input([&] {
    run(make_node("DequantizeLinear", 3), 13, {Tensor::from_vector<uint8_t>({1}, {1}), Tensor::scalar(0.5f), Tensor::scalar<int8_t>(0)});
  });
  // float16 scale gives a float16 output from opset 19.
  y = run(make_node("DequantizeLinear", 2), 19, {Tensor::from_vector<int8_t>({-3, 5}, {2}), Tensor::scalar(Half(0.25f))})[0];
  EXPECT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(float(y.data<Half>()[0]), -0.75f);
}

TEST(DynamicQuantizeLinear, FormulaAndAllZeroInput) {
  auto out = run(make_node("DynamicQuantizeLinear", 1, {}, 3), 11,
                 {Tensor::from_vector<float>({0.f, 2.f, -3.f, -2.5f, 1.34f, 0.5f}, {6})});
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 5.f / 255.f);
  EXPECT_EQ(out[2].data<uint8_t>()[0], 153);
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<int64_t>{153, 255, 0, 26, 221, 179}));
  out = run(make_node("DynamicQuantizeLinear", 1, {}, 3), 11, {Tensor(DType::kFloat32, {1, 7})});
  EXPECT_GT(out[1].data<float>()[0], 0.f);
  EXPECT_EQ(out[2].data<uint8_t>()[0], 0);
  for (int64_t i = 0; i < 7; ++i) EXPECT_EQ(out[0].data<uint8_t>()[i], 0);
}

TEST(MatMulInteger, PerRowAndPerColumnZeroPoints) {
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 13, 1}, {13, 127, 7}, {3, 7, 127}}) {
    const Tensor a = random_ints<uint8_t>({2, m, k}, 1), b = random_ints<int8_t>({k, n}, 2);
    const Tensor az = random_ints<uint8_t>({m}, 3), bz = random_ints<int8_t>({n}, 4);
    const auto y = run(make_node("MatMulInteger", 4), 10, {a, b, az, bz})[0];
    ASSERT_EQ(y.shape(), (Shape{2, m, n}));
    for (int64_t bi = 0; bi < 2; ++bi)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          int64_t s = 0;
          for (int64_t p = 0; p < k; ++p)
            s += (int64_t(a.data<uint8_t>()[(bi * m + i) * k + p]) - az.data<uint8_t>()[i]) *
                 (int64_t(b.data<int8_t>()[p * n + j]) - bz.data<int8_t>()[j]);
          ASSERT_EQ(y.data<int32_t>()[(bi * m + i) * n + j], s) << m << "x" << k << "x" << n;
        }
  }
  expect_bad_input([&] {
    run(make_node("MatMulInteger", 3), 10,
        {random_ints<uint8_t>({3, 4}, 1), random_ints<uint8_t>({4, 2}, 2), random_ints<uint8_t>({4}, 3)});
  });
  expect_bad_input([&] {
    run(make_node("MatMulInteger", 3), 10, {random_ints<uint8_t>({3, 4}, 1), random_ints<uint8_t>({4, 2}, 2), Tensor::scalar<int8_t>(0)});
  });
}

TEST(QLinearMatMul, PerColumnScalesAndSaturation) {
  const int64_t m = 7, k = 13, n = 5;
  const Tensor a = random_ints<int8_t>({m, k}, 5), b = random_ints<int8_t>({k, n}, 6);
  Tensor bs(DType::kFloat32, {n});
  for (int64_t j = 0; j < n; ++j) bs.data<float>()[j] = 0.001f * float(j + 1);
  const float as = 0.05f, ys = 0.1f;
  const auto y = run(make_node("QLinearMatMul", 8), 21,
                     {a, Tensor::scalar(as), Tensor::scalar<int8_t>(1), b, bs, Tensor::from_vector<int8_t>({0}, {1}),
                      Tensor::scalar(ys), Tensor::scalar<int8_t>(-3)})[0];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p) s += (int64_t(a.data<int8_t>()[i * k + p]) - 1) * b.data<int8_t>()[p * n + j];
      const double q = std::clamp(std::nearbyint(double(s) * double(as * bs.data<float>()[j] / ys)) - 3, -128.0, 127.0);
      ASSERT_EQ(y.data<int8_t>()[i * n + j], int8_t(q)) << i << "," << j;
    }
  expect_bad_input([&] {
    run(make_node("QLinearMatMul", 8), 21,
        {a, Tensor::scalar(as), Tensor::scalar<int8_t>(1), b, bs, Tensor::scalar<int8_t>(0), Tensor::scalar(0.f),
         Tensor::scalar<int8_t>(0)});
  }, "y_scale");
}

// Naive 2-D grouped convolution of (x - xz) and (w - wz[m]) in int64, for comparison.
std::vector<int64_t> naive_conv2d(const Tensor& x, int xz, const Tensor& w, const std::vector<int>& wz, int64_t group,
                                  int64_t stride, int64_t pad, int64_t dil, Shape& out_shape) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), M = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  const int64_t cg = C / group, mg = M / group;
  const int64_t OH = (H + 2 * pad - dil * (KH - 1) - 1) / stride + 1, OW = (W + 2 * pad - dil * (KW - 1) - 1) / stride + 1;
  out_shape = {N, M, OH, OW};
  std::vector<int64_t> y(size_t(N * M * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t s = 0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * stride - pad + kh * dil, iw = ow * stride - pad + kw * dil;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t xi = ((n * C + (m / mg) * cg + c) * H + ih) * W + iw;
                const int64_t wi = ((m * cg + c) * KH + kh) * KW + kw;
                s += (int64_t(x.data<uint8_t>()[xi]) - xz) * (int64_t(w.data<int8_t>()[wi]) - wz[size_t(m)]);
              }
          y[size_t(((n * M + m) * OH + oh) * OW + ow)] = s;
        }
  return y;
}

TEST(ConvInteger, GroupedStridedDilatedPerChannelZeroPoints) {
  const Tensor x = random_ints<uint8_t>({2, 4, 13, 7}, 11), w = random_ints<int8_t>({6, 2, 3, 2}, 12);
  const Tensor wz = Tensor::from_vector<int8_t>({0, -3, 5, 7, -128, 127}, {6});
  std::vector<int> wzv{0, -3, 5, 7, -128, 127};
  Shape shape;
  const auto want = naive_conv2d(x, 9, w, wzv, 2, 2, 1, 2, shape);
  ir::AttributeMap attrs{{"group", int64_t(2)}, {"strides", std::vector<int64_t>{2, 2}},
                         {"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"dilations", std::vector<int64_t>{2, 2}}};
  const auto y = run(make_node("ConvInteger", 4, attrs), 10, {x, w, Tensor::scalar<uint8_t>(9), wz})[0];
  ASSERT_EQ(y.shape(), shape);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(y.data<int32_t>()[i], want[i]) << i;
  // A w zero point per channel of the wrong length, and one whose type differs from w.
  expect_bad_input([&] {
    run(make_node("ConvInteger", 4, attrs), 10, {x, w, Tensor::scalar<uint8_t>(9), Tensor::from_vector<int8_t>({1, 2}, {2})});
  });
  expect_bad_input([&] { run(make_node("ConvInteger", 4, attrs), 10, {x, w, Tensor::scalar<uint8_t>(9), Tensor::scalar<uint8_t>(1)}); });
}

TEST(QLinearConv, PerChannelScalesBiasAndSaturation) {
  const Tensor x = random_ints<uint8_t>({1, 3, 7, 13}, 21), w = random_ints<int8_t>({5, 3, 3, 3}, 22);
  Shape shape;
  const auto acc = naive_conv2d(x, 128, w, std::vector<int>(5, 0), 1, 1, 1, 1, shape);
  const float xs = 0.02f, ys = 0.05f;
  Tensor ws(DType::kFloat32, {5});
  std::vector<int32_t> bias{-100000, -7, 0, 9, 100000};
  for (int m = 0; m < 5; ++m) ws.data<float>()[m] = 0.001f * float(m + 1);
  const auto y = run(make_node("QLinearConv", 9, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}), 10,
                     {x, Tensor::scalar(xs), Tensor::scalar<uint8_t>(128), w, ws, Tensor::scalar<int8_t>(0),
                      Tensor::scalar(ys), Tensor::scalar<uint8_t>(100), Tensor::from_vector(bias, {5})})[0];
  ASSERT_EQ(y.shape(), shape);
  const int64_t plane = shape[2] * shape[3];
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t m = int64_t(i) / plane;
    const double mult = double(xs * ws.data<float>()[m] / ys);
    const double q = std::clamp(std::nearbyint(double(acc[i] + bias[size_t(m)]) * mult) + 100, 0.0, 255.0);
    ASSERT_EQ(y.data<uint8_t>()[i], uint8_t(q)) << i;
  }
  for (float bad : {0.f, -0.5f, std::numeric_limits<float>::quiet_NaN()}) {
    Tensor bad_ws = ws.clone();
    bad_ws.data<float>()[3] = bad;
    expect_bad_input([&] {
      run(make_node("QLinearConv", 8), 10,
          {x, Tensor::scalar(xs), Tensor::scalar<uint8_t>(128), w, bad_ws, Tensor::scalar<int8_t>(0), Tensor::scalar(ys),
           Tensor::scalar<uint8_t>(100)});
    }, "w_scale[3]");
  }
}

}  // namespace
}  // namespace shrink
