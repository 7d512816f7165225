// Conv, ConvTranspose, pooling, BatchNormalization and Resize beyond the ONNX node cases: awkward
// shapes (1, 7, 13, 127) checked against naive loops, groups with odd channel counts, MaxPool
// column-major indices, training-mode batch norm statistics, and malformed inputs (kBadInput).
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op.h"

namespace shrink {
namespace {

ir::Node make_node(const std::string& op, int n_in, int n_out, ir::AttributeMap attrs, int64_t opset = 22) {
  ir::Node n;
  n.op_type = op;
  n.name = "t";
  for (int i = 0; i < n_in; ++i) n.inputs.push_back("i" + std::to_string(i));
  for (int i = 0; i < n_out; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attrs = std::move(attrs);
  ops::bind(n, opset);
  return n;
}

Tensor ramp(Shape s, float scale, float offset = 0.f) {
  Tensor t(DType::kFloat32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::sin(float(i) * scale) + offset;
  return t;
}

void expect_bad_input(const ir::Node& n, std::vector<Tensor> in) {
  try {
    ops::run_reference(n, in);
    FAIL() << "expected a bad-input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
  }
}

// Direct 2-D convolution, the textbook 7-deep loop.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group, int64_t s, int64_t d,
                    int64_t pt, int64_t pl, const Shape& out_shape) {
  Tensor y(DType::kFloat32, out_shape);
  const int64_t C = x.dim(1), H = x.dim(2), W = x.dim(3), M = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t cg = C / group, mg = M / group;
  for (int64_t n = 0; n < x.dim(0); ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < out_shape[2]; ++oh)
        for (int64_t ow = 0; ow < out_shape[3]; ++ow) {
          double acc = b.defined() ? b.data<float>()[m] : 0.0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t ih = oh * s + i * d - pt, iw = ow * s + j * d - pl;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += double(x.data<float>()[((n * C + (m / mg) * cg + c) * H + ih) * W + iw]) *
                       w.data<float>()[((m * cg + c) * kh + i) * kw + j];
              }
          y.data<float>()[((n * M + m) * out_shape[2] + oh) * out_shape[3] + ow] = float(acc);
        }
  return y;
}

void expect_close(const Tensor& got, const Tensor& exp, double tol = 1e-4) {
  ASSERT_EQ(got.shape(), exp.shape());
  for (int64_t i = 0; i < exp.numel(); ++i)
    ASSERT_NEAR(got.as_double(i), exp.as_double(i), tol * (1 + std::fabs(exp.as_double(i)))) << "element " << i;
}

TEST(OpsConv, AwkwardShapesMatchNaiveLoops) {
  struct Case { int64_t n, c, h, w, m, k, s, d, p, g; };
  for (Case c : {Case{1, 7, 13, 13, 127, 3, 1, 1, 1, 1}, Case{2, 6, 7, 13, 9, 3, 2, 2, 2, 3},
                 Case{1, 13, 1, 7, 13, 1, 1, 1, 0, 13}, Case{3, 1, 13, 1, 7, 1, 1, 1, 0, 1},
                 Case{1, 4, 9, 9, 4, 5, 3, 1, 2, 4}}) {
    ir::Node node = make_node("Conv", 3, 1,
                              {{"strides", std::vector<int64_t>{c.s, c.s}},
                               {"dilations", std::vector<int64_t>{c.d, c.d}},
                               {"pads", std::vector<int64_t>{c.p, c.p, c.p, c.p}},
                               {"group", c.g}});
    Tensor x = ramp({c.n, c.c, c.h, c.w}, 0.37f), w = ramp({c.m, c.c / c.g, c.k, c.k}, 0.11f), b = ramp({c.m}, 1.3f);
    auto out = ops::run_reference(node, std::vector<Tensor>{x, w, b});
    expect_close(out[0], naive_conv2d(x, w, b, c.g, c.s, c.d, c.p, c.p, out[0].shape()));
  }
}

// Big enough that im2col runs in several slabs along the first spatial dim.
TEST(OpsConv, SlabbedIm2colMatches) {
  ir::Node node = make_node("Conv", 2, 1, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  Tensor x = ramp({1, 64, 180, 181}, 0.01f), w = ramp({2, 64, 3, 3}, 0.3f);
  auto out = ops::run_reference(node, std::vector<Tensor>{x, w});
  expect_close(out[0], naive_conv2d(x, w, Tensor(), 1, 1, 1, 1, 1, out[0].shape()));
  ir::Node n1 = make_node("Conv", 2, 1, {{"pads", std::vector<int64_t>{3, 4}}});
  ir::Node n2 = make_node("Conv", 2, 1, {{"pads", std::vector<int64_t>{0, 3, 0, 4}}});
  Tensor x1 = ramp({1, 512, 5000}, 0.013f), w1 = ramp({2, 512, 8}, 0.7f);
  auto o1 = ops::run_reference(n1, std::vector<Tensor>{x1, w1});
  auto o2 = ops::run_reference(n2, std::vector<Tensor>{x1.reshaped({1, 512, 1, 5000}), w1.reshaped({2, 512, 1, 8})});
  expect_close(o1[0], o2[0].reshaped(o1[0].shape()), 1e-5);
}

TEST(OpsConv, SameLowerPadsAndDoubleAndHalf) {
  ir::Node node = make_node("Conv", 2, 1, {{"auto_pad", std::string("SAME_LOWER")}, {"strides", std::vector<int64_t>{2, 2}}});
  Tensor x = ramp({1, 2, 7, 7}, 0.5f), w = ramp({3, 2, 4, 4}, 0.2f);
  auto out = ops::run_reference(node, std::vector<Tensor>{x, w});
  ASSERT_EQ(out[0].shape(), (Shape{1, 3, 4, 4}));
  // SAME_LOWER with total pad 3 puts 2 at the beginning.
  expect_close(out[0], naive_conv2d(x, w, Tensor(), 1, 2, 1, 2, 2, out[0].shape()));
  Tensor xh(DType::kFloat16, x.shape()), wh(DType::kFloat16, w.shape());
  for (int64_t i = 0; i < x.numel(); ++i) xh.data<Half>()[i] = Half(x.data<float>()[i]);
  for (int64_t i = 0; i < w.numel(); ++i) wh.data<Half>()[i] = Half(w.data<float>()[i]);
  auto outh = ops::run_reference(node, std::vector<Tensor>{xh, wh});
  EXPECT_EQ(outh[0].dtype(), DType::kFloat16);
  expect_close(outh[0], out[0], 1e-2);
}

TEST(OpsConv, RejectsBadShapesAndTypes) {
  ir::Node g3 = make_node("Conv", 2, 1, {{"group", int64_t(3)}});
  expect_bad_input(g3, {ramp({1, 64, 5, 5}, 1.f), ramp({6, 21, 3, 3}, 1.f)});
  ir::Node plain = make_node("Conv", 3, 1, {});
  expect_bad_input(plain, {ramp({1, 2, 5, 5}, 1.f), ramp({4, 2, 9, 9}, 1.f), ramp({4}, 1.f)});   // kernel too big
  expect_bad_input(plain, {ramp({1, 2, 5, 5}, 1.f), ramp({4, 2, 3}, 1.f), ramp({4}, 1.f)});      // W rank
  expect_bad_input(plain, {ramp({1, 2, 5, 5}, 1.f), ramp({4, 2, 3, 3}, 1.f), ramp({3}, 1.f)});   // bias size
  expect_bad_input(plain, {Tensor(DType::kInt64, {1, 2, 5, 5}), Tensor(DType::kInt64, {4, 2, 3, 3})});
  EXPECT_THROW(make_node("Conv", 2, 1, {{"strides", std::vector<int64_t>{0, 1}}}), Error);
  EXPECT_THROW(make_node("Conv", 2, 1, {{"auto_pad", std::string("SAME")}}), Error);
}

TEST(OpsConvTranspose, MatchesScatterDefinition) {
  ir::Node node = make_node("ConvTranspose", 2, 1,
                            {{"strides", std::vector<int64_t>{3}}, {"pads", std::vector<int64_t>{1, 2}},
                             {"output_padding", std::vector<int64_t>{1}}, {"group", int64_t(2)},
                             {"dilations", std::vector<int64_t>{2}}});
  const int64_t C = 4, L = 7, M = 3, K = 3;  // W: {C, M/group... per group}, out channels 2*3
  Tensor x = ramp({1, C, L}, 0.3f), w = ramp({C, M, K}, 0.7f);
  auto out = ops::run_reference(node, std::vector<Tensor>{x, w});
  const int64_t full = 3 * (L - 1) + 1 + (K - 1) * 2 + 1, len = full - 3;
  ASSERT_EQ(out[0].shape(), (Shape{1, 2 * M, len}));
  std::vector<double> exp(size_t(2 * M * len), 0.0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t i = 0; i < L; ++i)
        for (int64_t k = 0; k < K; ++k) {
          int64_t o = i * 3 + k * 2 - 1;
          if (o >= 0 && o < len)
            exp[size_t(((c / 2) * M + m) * len + o)] += double(x.data<float>()[c * L + i]) * w.data<float>()[(c * M + m) * K + k];
        }
  for (size_t i = 0; i < exp.size(); ++i) EXPECT_NEAR(out[0].data<float>()[i], exp[i], 1e-4);
}

TEST(OpsPool, MaxPoolColumnMajorIndicesAndInt8) {
  ir::Node node = make_node("MaxPool", 1, 2, {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"storage_order", int64_t(1)}});
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {1, 1, 3, 4});
  auto out = ops::run_reference(node, std::vector<Tensor>{x});
  ASSERT_EQ(out[1].dtype(), DType::kInt64);
  ASSERT_EQ(out[0].shape(), (Shape{1, 1, 2, 3}));
  // Max of the window at (1, 1) is x[2][2]; column-major offset = 2 + 2 * 3.
  EXPECT_EQ(out[0].data<float>()[4], 11.f);
  EXPECT_EQ(out[1].data<int64_t>()[4], 8);
  ir::Node plain = make_node("MaxPool", 1, 1, {{"kernel_shape", std::vector<int64_t>{3}}, {"strides", std::vector<int64_t>{2}}});
  Tensor xi = Tensor::from_vector<int8_t>({-5, 3, -128, 7, 1, 1, 127}, {1, 1, 7});
  auto oi = ops::run_reference(plain, std::vector<Tensor>{xi});
  EXPECT_EQ(oi[0].shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(oi[0].data<int8_t>()[0], 3);
  EXPECT_EQ(oi[0].data<int8_t>()[2], 127);
}

TEST(OpsPool, AveragePoolRejectsIntegersAndOversizedKernels) {
  ir::Node node = make_node("AveragePool", 1, 1, {{"kernel_shape", std::vector<int64_t>{3, 3}}});
  expect_bad_input(node, {Tensor(DType::kInt32, {1, 1, 5, 5})});
  expect_bad_input(node, {ramp({1, 1, 2, 2}, 1.f)});
  expect_bad_input(node, {ramp({1, 1, 5}, 1.f)});
  EXPECT_THROW(make_node("MaxPool", 1, 1, {}), Error);
}

TEST(OpsBatchNorm, TrainingModeOutputsBatchStatsAndRunningStats) {
  ir::Node node = make_node("BatchNormalization", 5, 3, {{"training_mode", int64_t(1)}, {"momentum", 0.8f}}, 15);
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 10, 20, 30, 40}, {2, 2, 2});  // channel 0: 1,2,10,20
  Tensor scale = Tensor::from_vector<float>({1, 2}, {2}), bias = Tensor::from_vector<float>({0, 1}, {2});
  Tensor mean = Tensor::from_vector<float>({0, 0}, {2}), var = Tensor::from_vector<float>({1, 1}, {2});
  auto out = ops::run_reference(node, std::vector<Tensor>{x, scale, bias, mean, var});
  const double m0 = 33.0 / 4, v0 = (1 + 4 + 100 + 400) / 4.0 - m0 * m0;
  EXPECT_NEAR(out[1].data<float>()[0], 0.2 * m0, 1e-5);
  EXPECT_NEAR(out[2].data<float>()[0], 0.8 + 0.2 * v0, 1e-4);
  EXPECT_NEAR(out[0].data<float>()[0], (1 - m0) / std::sqrt(v0 + 1e-5), 1e-5);
  ir::Node infer_only = make_node("BatchNormalization", 5, 1, {}, 15);
  expect_bad_input(infer_only, {x, scale, bias, mean, Tensor::from_vector<float>({1, 1, 1}, {3})});
  EXPECT_THROW(make_node("BatchNormalization", 5, 3, {}, 15), Error);  // stats outputs need training_mode
}

TEST(OpsResize, NearestOnInt64AndBadSizes) {
  ir::Node node = make_node("Resize", 4, 1, {{"mode", std::string("nearest")}}, 19);
  Tensor x = Tensor::from_vector<int64_t>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor sizes = Tensor::from_vector<int64_t>({1, 1, 4, 3}, {4});
  auto out = ops::run_reference(node, std::vector<Tensor>{x, Tensor(), Tensor(), sizes});
  ASSERT_EQ(out[0].shape(), (Shape{1, 1, 4, 3}));
  EXPECT_EQ(out[0].data<int64_t>()[11], 4);
  EXPECT_EQ(out[0].data<int64_t>()[0], 1);
  expect_bad_input(node, {x, Tensor(), Tensor(), Tensor::from_vector<int64_t>({1, 1, int64_t(1) << 40, 1 << 20}, {4})});
  expect_bad_input(node, {x, Tensor(), Tensor(), Tensor::from_vector<int64_t>({1, 1, -2, 3}, {4})});
  expect_bad_input(node, {x, Tensor(), Tensor::from_vector<float>({1, 1, 2, 2}, {4}), sizes});  // both given
  expect_bad_input(node, {x, Tensor(), Tensor::from_vector<float>({1, 1, 0, 2}, {4})});         // zero scale
  // Opset 11: roi and scales are required inputs; an empty scales tensor means "use sizes".
  ir::Node v11 = make_node("Resize", 4, 1, {{"mode", std::string("nearest")}}, 11);
  auto o11 = ops::run_reference(v11, std::vector<Tensor>{x, Tensor(DType::kFloat32, {0}), Tensor(DType::kFloat32, {0}), sizes});
  EXPECT_TRUE(o11[0].bit_equal(out[0]));
  // Opset 10: Resize(X, scales), asymmetric coordinates.
  ir::Node v10 = make_node("Resize", 2, 1, {}, 10);
  auto o10 = ops::run_reference(v10, std::vector<Tensor>{x, Tensor::from_vector<float>({1, 1, 2, 2}, {4})});
  EXPECT_EQ(o10[0].to_int64_vector(), (std::vector<int64_t>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(OpsResize, LinearUpsampleOf127Wide) {
  ir::Node node = make_node("Resize", 3, 1, {{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}}, 13);
  Tensor x(DType::kFloat32, {1, 127});
  for (int64_t i = 0; i < 127; ++i) x.data<float>()[i] = float(i);
  auto out = ops::run_reference(node, std::vector<Tensor>{x, Tensor(), Tensor::from_vector<float>({1, 2}, {2})});
  ASSERT_EQ(out[0].shape(), (Shape{1, 254}));
  for (int64_t j = 0; j < 254; ++j) EXPECT_NEAR(out[0].data<float>()[j], double(j) * 126 / 253, 1e-4);
}

}  // namespace
}  // namespace shrink
