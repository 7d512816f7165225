// The com.shrink gradient ops of the NN layers (ops/nn_grad/) against central finite differences
// of the FORWARD reference op in double: for a random cotangent dY, <dY, f(x + h e_i) - f(x - h e_i)>
// / 2h must match the gradient op's output for every element, over awkward geometries (groups,
// depthwise, strides with odd sizes, dilations, asymmetric pads, SAME_*, ceil_mode, 1D/3D, batch 1
// and 3) and a seeded sweep of random convolutions. Also float32 against float64, and bad inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "ops/op.h"

namespace shrink {
namespace {

using Ints = std::vector<int64_t>;
constexpr double kFdTolerance = 1e-6;  // max |fd - analytic| relative to max |analytic|, float64

ir::Node make_node(const std::string& op, const std::string& domain, int n_in, int n_out, ir::AttributeMap attrs,
                   int64_t opset = 22) {
  ir::Node n;
  n.op_type = op;
  n.domain = domain;
  n.name = "t";
  for (int i = 0; i < n_in; ++i) n.inputs.push_back("i" + std::to_string(i));
  for (int i = 0; i < n_out; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attrs = std::move(attrs);
  ops::bind(n, opset);
  return n;
}
ir::Node grad_node(const std::string& op, int n_in, int n_out, ir::AttributeMap attrs) {
  return make_node(op, "com.shrink", n_in, n_out, std::move(attrs));
}

Tensor random(Rng& rng, const Shape& s, DType t = DType::kFloat64, double lo = -1, double hi = 1) {
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = lo + (hi - lo) * rng.uniform();
    if (t == DType::kFloat64) x.data<double>()[i] = v;
    else x.data<float>()[i] = float(v);
  }
  return x;
}

Tensor to_float(const Tensor& t) {
  Tensor f(DType::kFloat32, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) f.data<float>()[i] = float(t.as_double(i));
  return f;
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += a.as_double(i) * b.as_double(i);
  return s;
}

// Checks `grad` against the central difference of <dy, fwd(inputs)[0]> along every element of
// inputs[wrt].
void expect_fd(const ir::Node& fwd, std::vector<Tensor> inputs, const Tensor& dy, size_t wrt, const Tensor& grad,
               const std::string& what, double h = 1e-5) {
  ASSERT_EQ(grad.shape(), inputs[wrt].shape()) << what;
  ASSERT_EQ(grad.dtype(), DType::kFloat64) << what;
  Tensor& x = inputs[wrt];
  double diff = 0, scale = 1e-12;
  int64_t worst = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.data<double>()[i];
    x.data<double>()[i] = v + h;
    const double up = dot(dy, ops::run_reference(fwd, inputs)[0]);
    x.data<double>()[i] = v - h;
    const double down = dot(dy, ops::run_reference(fwd, inputs)[0]);
    x.data<double>()[i] = v;
    const double fd = (up - down) / (2 * h), d = std::fabs(fd - grad.data<double>()[i]);
    if (d > diff) diff = d, worst = i;
    scale = std::max(scale, std::fabs(grad.data<double>()[i]));
  }
  EXPECT_LE(diff / scale, kFdTolerance) << what << ": worst element " << worst << " of " << shape_str(x.shape());
}

// The float32 kernel of a gradient node against its float64 kernel.
void expect_float_matches_double(const ir::Node& g, const std::vector<Tensor>& in64, const std::string& what) {
  std::vector<Tensor> in32;
  for (const auto& t : in64) in32.push_back(to_float(t));
  auto a = ops::run_reference(g, in64), b = ops::run_reference(g, in32);
  for (size_t k = 0; k < a.size(); ++k) {
    if (!a[k].defined()) continue;
    ASSERT_EQ(b[k].dtype(), DType::kFloat32);
    double diff = 0, scale = 1e-12;
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      diff = std::max(diff, std::fabs(a[k].as_double(i) - b[k].as_double(i)));
      scale = std::max(scale, std::fabs(a[k].as_double(i)));
    }
    EXPECT_LE(diff / scale, 1e-5) << what << " output " << k;
  }
}

struct ConvCase {
  Shape x, w;
  ir::AttributeMap attrs;
};

void check_conv(const ConvCase& c, uint64_t seed) {
  const std::string what = "Conv x" + shape_str(c.x) + " w" + shape_str(c.w);
  Rng rng(seed);
  ir::Node fwd = make_node("Conv", "", 3, 1, c.attrs);
  Tensor x = random(rng, c.x), w = random(rng, c.w), b = random(rng, {c.w[0]});
  const Shape y_shape = ops::run_reference(fwd, std::vector<Tensor>{x, w, b})[0].shape();
  Tensor dy = random(rng, y_shape);
  ir::Node gi = grad_node("ConvGradInput", 3, 1, c.attrs), gw = grad_node("ConvGradWeight", 3, 2, c.attrs);
  Tensor dx = ops::run_reference(gi, std::vector<Tensor>{dy, w, x})[0];
  auto dwb = ops::run_reference(gw, std::vector<Tensor>{dy, x, w});
  expect_fd(fwd, {x, w, b}, dy, 0, dx, what + " dX");
  expect_fd(fwd, {x, w, b}, dy, 1, dwb[0], what + " dW");
  expect_fd(fwd, {x, w, b}, dy, 2, dwb[1], what + " dB");
  expect_float_matches_double(gi, {dy, w, x}, what + " ConvGradInput");
  expect_float_matches_double(gw, {dy, x, w}, what + " ConvGradWeight");
}

TEST(OpsNnGrad, ConvAwkwardGeometries) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 5, 5}, {4, 3, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}},
      {{3, 4, 5, 6}, {6, 2, 3, 3}, {{"group", int64_t(2)}, {"strides", Ints{2, 2}}, {"pads", Ints{0, 1, 1, 0}}}},
      {{1, 6, 7, 5}, {3, 2, 2, 3}, {{"group", int64_t(3)}, {"dilations", Ints{2, 2}}}},
      {{2, 4, 6, 6}, {4, 1, 3, 3}, {{"group", int64_t(4)}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}},
      {{1, 2, 7, 9}, {3, 2, 3, 3}, {{"strides", Ints{2, 2}}}},
      {{1, 2, 5, 7}, {2, 2, 3, 2}, {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}},
      {{1, 2, 6, 5}, {3, 2, 2, 3},
       {{"strides", Ints{2, 1}}, {"dilations", Ints{1, 2}}, {"auto_pad", std::string("SAME_LOWER")}}},
      {{3, 4, 9}, {2, 2, 3}, {{"group", int64_t(2)}, {"strides", Ints{2}}, {"pads", Ints{2, 1}}}},
      {{1, 2, 4, 5, 3}, {2, 1, 2, 3, 2}, {{"group", int64_t(2)}, {"pads", Ints{1, 0, 1, 0, 1, 0}}}},
      {{1, 3, 4, 4}, {5, 3, 1, 1}, {}},
      {{2, 3, 6, 5}, {6, 1, 3, 3}, {{"group", int64_t(3)}, {"auto_pad", std::string("VALID")}, {"strides", Ints{3, 2}}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) check_conv(cases[i], 100 + i);
}

// A seeded sweep of random geometries: rank 1-3, group 1-3, strides and dilations 1-2, pads 0-2.
TEST(OpsNnGrad, ConvRandomGeometries) {
  Rng rng(2024);
  for (int t = 0; t < 12; ++t) {
    const int64_t nsp = 1 + int64_t(rng.below(3)), group = 1 + int64_t(rng.below(3));
    const int64_t cg = 1 + int64_t(rng.below(2)), mg = 1 + int64_t(rng.below(2));
    Shape x{rng.below(2) ? 3 : 1, cg * group}, w{mg * group, cg};
    Ints strides, dil, pb, pe;
    for (int64_t d = 0; d < nsp; ++d) {
      const int64_t k = 1 + int64_t(rng.below(3)), s = 1 + int64_t(rng.below(2)), dl = 1 + int64_t(rng.below(2));
      const int64_t eff = (k - 1) * dl + 1;
      x.push_back(eff + int64_t(rng.below(nsp == 3 ? 3 : 5)));
      w.push_back(k);
      strides.push_back(s);
      dil.push_back(dl);
      pb.push_back(int64_t(rng.below(3)));
      pe.push_back(int64_t(rng.below(3)));
    }
    pb.insert(pb.end(), pe.begin(), pe.end());
    check_conv({x, w, {{"group", group}, {"strides", strides}, {"dilations", dil}, {"pads", pb}}}, 300 + uint64_t(t));
  }
}

// ConvTranspose's weight gradient is ConvGradWeight with X and dY swapped: the Conv from the
// transpose's output gradient (larger) to its input (smaller) with the transpose's W.
TEST(OpsNnGrad, ConvGradWeightServesConvTranspose) {
  Rng rng(7);
  ir::AttributeMap conv_attrs{{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"group", int64_t(2)}};
  ir::AttributeMap t_attrs = conv_attrs;
  t_attrs["output_padding"] = Ints{1, 1};
  ir::Node fwd = make_node("ConvTranspose", "", 2, 1, t_attrs);
  Tensor x = random(rng, {2, 4, 3, 4}), w = random(rng, {4, 3, 3, 3});
  const Shape y_shape = ops::run_reference(fwd, std::vector<Tensor>{x, w})[0].shape();
  ASSERT_EQ(y_shape, (Shape{2, 6, 6, 8}));
  Tensor dy = random(rng, y_shape);
  ir::Node gw = grad_node("ConvGradWeight", 3, 1, conv_attrs);
  Tensor dw = ops::run_reference(gw, std::vector<Tensor>{x, dy, w})[0];
  expect_fd(fwd, {x, w}, dy, 1, dw, "ConvTranspose dW");
}

struct PoolCase {
  std::string op;
  Shape x;
  ir::AttributeMap attrs;
};

TEST(OpsNnGrad, PoolingAwkwardGeometries) {
  const std::vector<PoolCase> cases = {
      {"MaxPool", {1, 2, 5, 5}, {{"kernel_shape", Ints{2, 2}}}},
      {"MaxPool", {3, 2, 7, 6}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 1}}}},
      {"MaxPool", {1, 3, 7, 7}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}},
      {"MaxPool", {1, 2, 8, 7}, {{"kernel_shape", Ints{3, 2}}, {"dilations", Ints{2, 2}}, {"strides", Ints{1, 2}}}},
      {"MaxPool", {3, 2, 9}, {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"pads", Ints{1, 1}}}},
      {"MaxPool", {1, 2, 4, 5, 3}, {{"kernel_shape", Ints{2, 3, 2}}, {"auto_pad", std::string("SAME_UPPER")}}},
      {"MaxPool", {1, 2, 5, 6}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_LOWER")}}},
      {"AveragePool", {1, 2, 5, 5}, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}},
      {"AveragePool", {3, 2, 5, 7}, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 0, 2, 1}}, {"count_include_pad", int64_t(1)}}},
      {"AveragePool", {1, 3, 7, 7}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}},
      {"AveragePool", {1, 2, 8, 7}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}},
                                     {"ceil_mode", int64_t(1)}, {"count_include_pad", int64_t(1)}}},
      {"AveragePool", {3, 2, 9}, {{"kernel_shape", Ints{4}}, {"strides", Ints{3}}, {"auto_pad", std::string("SAME_LOWER")}}},
      {"AveragePool", {1, 2, 4, 3, 5}, {{"kernel_shape", Ints{2, 2, 3}}, {"strides", Ints{2, 1, 2}}, {"pads", Ints{0, 1, 1, 1, 0, 1}},
                                        {"count_include_pad", int64_t(1)}}},
      {"AveragePool", {1, 2, 9, 8}, {{"kernel_shape", Ints{3, 2}}, {"dilations", Ints{2, 3}}, {"auto_pad", std::string("SAME_UPPER")}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const std::string what = c.op + " case " + std::to_string(i);
    Rng rng(500 + i);
    ir::Node fwd = make_node(c.op, "", 1, 1, c.attrs);
    Tensor x = random(rng, c.x);
    Tensor dy = random(rng, ops::run_reference(fwd, std::vector<Tensor>{x})[0].shape());
    ir::Node g = grad_node(c.op + "Grad", 2, 1, c.attrs);
    Tensor dx = ops::run_reference(g, std::vector<Tensor>{dy, x})[0];
    expect_fd(fwd, {x}, dy, 0, dx, what, c.op == "MaxPool" ? 1e-7 : 1e-5);
    expect_float_matches_double(g, {dy, x}, what);
  }
}

// Ties go to the first maximum in window order, as in the forward kernel's Indices output.
TEST(OpsNnGrad, MaxPoolGradRoutesTiesToForwardArgmax) {
  ir::AttributeMap attrs{{"kernel_shape", Ints{2, 2}}, {"strides", Ints{1, 1}}};
  ir::Node fwd = make_node("MaxPool", "", 1, 2, attrs);
  Tensor x(DType::kFloat32, {1, 1, 3, 3});
  for (int64_t i = 0; i < 9; ++i) x.data<float>()[i] = float(i % 2);  // many ties
  Tensor dy(DType::kFloat32, {1, 1, 2, 2});
  for (int64_t i = 0; i < 4; ++i) dy.data<float>()[i] = float(1 << i);
  auto y = ops::run_reference(fwd, std::vector<Tensor>{x});
  Tensor expect(DType::kFloat32, x.shape());
  for (int64_t i = 0; i < 4; ++i) expect.data<float>()[y[1].data<int64_t>()[i]] += dy.data<float>()[i];
  Tensor dx = ops::run_reference(grad_node("MaxPoolGrad", 2, 1, attrs), std::vector<Tensor>{dy, x})[0];
  for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(dx.data<float>()[i], expect.data<float>()[i]) << i;
}

TEST(OpsNnGrad, GlobalAveragePool) {
  for (Shape s : {Shape{1, 3, 5, 4}, Shape{3, 2, 7}, Shape{2, 2, 2, 3, 2}}) {
    Rng rng(9);
    ir::Node fwd = make_node("GlobalAveragePool", "", 1, 1, {});
    Tensor x = random(rng, s);
    Tensor dy = random(rng, ops::run_reference(fwd, std::vector<Tensor>{x})[0].shape());
    ir::Node g = grad_node("GlobalAveragePoolGrad", 2, 1, {});
    expect_fd(fwd, {x}, dy, 0, ops::run_reference(g, std::vector<Tensor>{dy, x})[0], "GAP " + shape_str(s));
    expect_float_matches_double(g, {dy, x}, "GAP");
  }
}

TEST(OpsNnGrad, BatchNormTraining) {
  for (Shape s : {Shape{3, 4, 5, 2}, Shape{1, 3, 7}, Shape{5, 3}, Shape{2, 2, 3, 2, 2}, Shape{1, 2, 1, 5}}) {
    const std::string what = "BatchNorm " + shape_str(s);
    Rng rng(11);
    ir::AttributeMap attrs{{"epsilon", 1e-3f}, {"momentum", 0.8f}, {"training_mode", int64_t(1)}};
    ir::Node fwd = make_node("BatchNormalization", "", 5, 1, attrs);
    const Shape c{s[1]};
    Tensor x = random(rng, s, DType::kFloat64, -2, 3), scale = random(rng, c, DType::kFloat64, 0.5, 1.5);
    Tensor bias = random(rng, c), mean = random(rng, c), var = random(rng, c, DType::kFloat64, 0.5, 1);
    Tensor dy = random(rng, s);
    ir::Node g = grad_node("BatchNormTrainGrad", 3, 3, attrs);
    auto grads = ops::run_reference(g, std::vector<Tensor>{dy, x, scale});
    const std::vector<Tensor> in{x, scale, bias, mean, var};
    expect_fd(fwd, in, dy, 0, grads[0], what + " dX");
    expect_fd(fwd, in, dy, 1, grads[1], what + " dscale");
    expect_fd(fwd, in, dy, 2, grads[2], what + " dbias");
    expect_float_matches_double(g, {dy, x, scale}, what);
  }
}

TEST(OpsNnGrad, LayerNorm) {
  struct Case { Shape x; int64_t axis; Shape scale; };
  for (const Case& c : {Case{{3, 7}, -1, {7}}, Case{{2, 3, 4}, 1, {3, 4}}, Case{{2, 3, 5}, -2, {5}},
                        Case{{1, 4, 3}, 0, {4, 3}}, Case{{3, 2, 4}, -1, {1}}}) {
    const std::string what = "LayerNorm " + shape_str(c.x) + " axis " + std::to_string(c.axis);
    Rng rng(13);
    ir::AttributeMap attrs{{"axis", c.axis}, {"epsilon", 1e-3f}};
    ir::Node fwd = make_node("LayerNormalization", "", 3, 1, attrs);
    Tensor x = random(rng, c.x, DType::kFloat64, -2, 3), scale = random(rng, c.scale, DType::kFloat64, 0.5, 1.5);
    Tensor bias = random(rng, c.scale), dy = random(rng, c.x);
    ir::Node g = grad_node("LayerNormGrad", 3, 3, attrs);
    auto grads = ops::run_reference(g, std::vector<Tensor>{dy, x, scale});
    expect_fd(fwd, {x, scale, bias}, dy, 0, grads[0], what + " dX");
    expect_fd(fwd, {x, scale, bias}, dy, 1, grads[1], what + " dscale");
    expect_fd(fwd, {x, scale, bias}, dy, 2, grads[2], what + " dbias");
    expect_float_matches_double(g, {dy, x, scale}, what);
  }
}

void expect_bad_input(const ir::Node& n, std::vector<Tensor> in) {
  try {
    ops::run_reference(n, in);
    FAIL() << "expected a bad-input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("'t'"), std::string::npos) << e.what();
  }
}

TEST(OpsNnGrad, RejectsMismatchedInputs) {
  Rng rng(1);
  ir::Node gi = grad_node("ConvGradInput", 3, 1, {{"pads", Ints{1, 1, 1, 1}}});
  expect_bad_input(gi, {random(rng, {1, 4, 4, 4}), random(rng, {4, 3, 3, 3}), random(rng, {1, 3, 5, 5})});  // dY size
  expect_bad_input(gi, {random(rng, {1, 4, 5, 5}), random(rng, {4, 2, 3, 3}), random(rng, {1, 3, 5, 5})});  // W
  expect_bad_input(gi, {random(rng, {1, 4, 5, 5}, DType::kFloat32), random(rng, {4, 3, 3, 3}), random(rng, {1, 3, 5, 5})});
  ir::Node mp = grad_node("MaxPoolGrad", 2, 1, {{"kernel_shape", Ints{2, 2}}});
  expect_bad_input(mp, {random(rng, {1, 2, 3, 3}), random(rng, {1, 2, 5, 5})});
  ir::Node bn = grad_node("BatchNormTrainGrad", 3, 3, {});
  expect_bad_input(bn, {random(rng, {2, 3, 4}), random(rng, {2, 3, 4}), random(rng, {4})});
  Tensor half(DType::kFloat16, {2, 3});
  ir::Node ln = grad_node("LayerNormGrad", 3, 2, {});
  expect_bad_input(ln, {half, half, Tensor(DType::kFloat16, {3})});
  try {
    grad_node("ConvGradWeight", 3, 2, {{"output_padding", Ints{1, 1}}});
    FAIL() << "Conv's parser refuses ConvTranspose-only attributes";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  }
}

}  // namespace
}  // namespace shrink
