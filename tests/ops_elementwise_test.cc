// Elementwise ops (unary and binary families): cases the ONNX node tests do not cover, i.e.
// awkward broadcast shapes, integer wrap-around and division by zero, int64 paths, Cast rounding
// and saturation, and bad inputs that must be refused as kBadInput.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/half.h"
#include "ir/graph.h"
#include "ops/op.h"

namespace shrink {
namespace {

ir::Node make_node(const std::string& op, int n_in, ir::AttributeMap attrs = {}, int64_t opset = 21) {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  for (int i = 0; i < n_in; ++i) n.inputs.push_back("x" + std::to_string(i));
  n.outputs = {"y"};
  n.attrs = std::move(attrs);
  ops::bind(n, opset);
  return n;
}

Tensor run1(const std::string& op, std::vector<Tensor> in, ir::AttributeMap attrs = {}, int64_t opset = 21) {
  ir::Node n = make_node(op, int(in.size()), std::move(attrs), opset);
  return ops::run_reference(n, in)[0];
}

void expect_bad_input(const std::function<void()>& f) {
  try {
    f();
    ADD_FAILURE() << "expected a bad-input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
  }
}

Tensor iota_f(Shape s, float scale = 1.f, float offset = 0.f) {
  Tensor t(DType::kFloat32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = offset + scale * float(i);
  return t;
}

TEST(Elementwise, SubBroadcastsAwkwardShapes) {
  for (Shape a : {Shape{7, 13}, Shape{127, 1}, Shape{1}, Shape{}}) {
    Shape b = {1, 13};
    Tensor x = iota_f(a, 0.5f), y = iota_f(b, 0.25f, -1.f);
    Tensor z = run1("Sub", {x, y});
    Shape out = broadcast_shapes(a, b);
    ASSERT_EQ(z.shape(), out);
    const int64_t rows = numel(out) / 13;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < 13; ++c) {
        float xv = x.numel() == 1 ? x.data<float>()[0] : a.back() == 1 ? x.data<float>()[r] : x.data<float>()[r * 13 + c];
        EXPECT_EQ(z.data<float>()[r * 13 + c], xv - y.data<float>()[c]);
      }
  }
}

TEST(Elementwise, IntegerDivTruncatesAndRefusesZero) {
  Tensor a = Tensor::from_vector<int32_t>({-7, 7, std::numeric_limits<int32_t>::min(), 9}, {4});
  Tensor b = Tensor::from_vector<int32_t>({2, -2, -1, 3}, {4});
  Tensor z = run1("Div", {a, b});
  EXPECT_EQ(z.data<int32_t>()[0], -3);
  EXPECT_EQ(z.data<int32_t>()[1], -3);
  EXPECT_EQ(z.data<int32_t>()[2], std::numeric_limits<int32_t>::min());  // wraps, no trap
  EXPECT_EQ(z.data<int32_t>()[3], 3);
  Tensor zero = Tensor::from_vector<int64_t>({5, 0, 1}, {3});
  Tensor num = Tensor::from_vector<int64_t>({1, 2, 3}, {3});
  expect_bad_input([&] { run1("Div", {num, zero}); });
  Tensor fz = run1("Div", {iota_f({3}), Tensor::scalar(0.f)});  // float: inf/NaN, no error
  EXPECT_TRUE(std::isnan(fz.data<float>()[0]));
  EXPECT_TRUE(std::isinf(fz.data<float>()[1]));
}

TEST(Elementwise, IntegerArithmeticWraps) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  Tensor a = Tensor::from_vector<int64_t>({big, -3}, {2});
  Tensor b = Tensor::from_vector<int64_t>({1, 5}, {2});
  EXPECT_EQ(run1("Add", {a, b}).data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(run1("Mul", {a, b}).data<int64_t>()[1], -15);
  Tensor u = Tensor::from_vector<uint16_t>({65535}, {1});
  EXPECT_EQ(run1("Mul", {u, u}).data<uint16_t>()[0], 1);
  Tensor s = Tensor::from_vector<int8_t>({-128, 5}, {2});
  EXPECT_EQ(run1("Neg", {s}).data<int8_t>()[0], -128);
  EXPECT_EQ(run1("Abs", {s}).data<int8_t>()[1], 5);
  Tensor l = Tensor::from_vector<int64_t>({-9000000000LL}, {1});
  EXPECT_EQ(run1("Abs", {l}).data<int64_t>()[0], 9000000000LL);
}

TEST(Elementwise, PowIntegerExactAndMixedTypes) {
  Tensor base = Tensor::from_vector<int64_t>({3, 2, -1, 5}, {4});
  Tensor exp = Tensor::from_vector<int64_t>({39, 0, -3, -1}, {4});
  Tensor z = run1("Pow", {base, exp});
  EXPECT_EQ(z.data<int64_t>()[0], 4052555153018976267LL);  // beyond double's exact range
  EXPECT_EQ(z.data<int64_t>()[1], 1);
  EXPECT_EQ(z.data<int64_t>()[2], -1);
  EXPECT_EQ(z.data<int64_t>()[3], 0);
  Tensor fz = run1("Pow", {iota_f({7}), Tensor::scalar<int64_t>(2)});
  EXPECT_EQ(fz.dtype(), DType::kFloat32);
  EXPECT_EQ(fz.data<float>()[6], 36.f);
  Tensor iz = run1("Pow", {base, Tensor::scalar(0.5f)});
  EXPECT_EQ(iz.data<int64_t>()[0], 1);  // sqrt(3) truncates
  EXPECT_EQ(iz.data<int64_t>()[2], 0);  // NaN -> 0
}

TEST(Elementwise, WhereBroadcastsThreeWays) {
  Tensor c(DType::kBool, {1, 13});
  for (int i = 0; i < 13; ++i) c.data<bool>()[i] = i % 3 == 0;
  Tensor x = Tensor::from_vector<int64_t>({10, 20, 30, 40, 50, 60, 70}, {7, 1});
  Tensor y = Tensor::scalar<int64_t>(-1);
  Tensor z = run1("Where", {c, x, y});
  ASSERT_EQ(z.shape(), (Shape{7, 13}));
  for (int r = 0; r < 7; ++r)
    for (int k = 0; k < 13; ++k) EXPECT_EQ(z.data<int64_t>()[r * 13 + k], k % 3 == 0 ? 10 * (r + 1) : -1);
  expect_bad_input([&] { run1("Where", {x, x, y}); });  // condition must be bool
}

TEST(Elementwise, VariadicMinMaxSumMean) {
  Tensor a = iota_f({7, 1}), b = iota_f({1, 13}, -1.f, 6.f), c = Tensor::scalar(2.5f);
  Tensor mx = run1("Max", {a, b, c}), sm = run1("Sum", {a, b, c}), mn = run1("Mean", {a, b, c});
  ASSERT_EQ(mx.shape(), (Shape{7, 13}));
  for (int r = 0; r < 7; ++r)
    for (int k = 0; k < 13; ++k) {
      float va = float(r), vb = 6.f - float(k);
      EXPECT_EQ(mx.data<float>()[r * 13 + k], std::max({va, vb, 2.5f}));
      EXPECT_FLOAT_EQ(sm.data<float>()[r * 13 + k], va + vb + 2.5f);
      EXPECT_FLOAT_EQ(mn.data<float>()[r * 13 + k], (va + vb + 2.5f) / 3.f);
    }
  Tensor n = Tensor::from_vector<float>({1.f, std::nanf("")}, {2});
  Tensor m = run1("Min", {n, Tensor::from_vector<float>({std::nanf(""), 0.f}, {2})});
  EXPECT_TRUE(std::isnan(m.data<float>()[0]) && std::isnan(m.data<float>()[1]));
  Tensor i = Tensor::from_vector<int64_t>({4, -9}, {2});
  EXPECT_EQ(run1("Min", {i}).data<int64_t>()[1], -9);
  expect_bad_input([&] { run1("Mean", {i, i}); });  // Mean is float-only
  expect_bad_input([&] { run1("Sum", {i, iota_f({2})}); });  // mixed types
}

TEST(Elementwise, ClipAttributeAndInputForms) {
  Tensor x = iota_f({7}, 1.f, -3.f);  // -3..3
  Tensor a = run1("Clip", {x}, {{"min", -1.f}, {"max", 2.f}}, 10);
  EXPECT_EQ(a.data<float>()[0], -1.f);
  EXPECT_EQ(a.data<float>()[6], 2.f);
  expect_bad_input([&] { make_node("Clip", 1, {{"min", -1.f}}, 13); });  // attribute form is gone in 11+
  Tensor i = Tensor::from_vector<int64_t>({-5, 0, 5}, {3});
  Tensor b = run1("Clip", {i, Tensor(), Tensor::scalar<int64_t>(1)}, {}, 13);
  EXPECT_EQ(b.data<int64_t>()[0], -5);
  EXPECT_EQ(b.data<int64_t>()[2], 1);
  expect_bad_input([&] { run1("Clip", {x, iota_f({2})}, {}, 13); });  // min must be a scalar
}

TEST(Elementwise, CastRoundsSaturatesAndRefusesUnsupported) {
  Tensor f = Tensor::from_vector<float>({-1.7f, 2.9f, 1e20f, std::nanf(""), 0.f}, {5});
  Tensor i = run1("Cast", {f}, {{"to", int64_t(6)}});
  EXPECT_EQ(i.dtype(), DType::kInt32);
  EXPECT_EQ(i.data<int32_t>()[0], -1);
  EXPECT_EQ(i.data<int32_t>()[1], 2);
  EXPECT_EQ(i.data<int32_t>()[2], std::numeric_limits<int32_t>::max());
  EXPECT_EQ(i.data<int32_t>()[3], 0);
  Tensor bo = run1("Cast", {f}, {{"to", int64_t(9)}});
  EXPECT_TRUE(bo.data<bool>()[0] && bo.data<bool>()[3] && !bo.data<bool>()[4]);
  // 1 + 2^-11 + 2^-40 is just above a float16 tie: one rounding gives 1 + 2^-10, float-then-half gives 1.
  Tensor d = Tensor::from_vector<double>({1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)}, {1});
  Tensor h = run1("Cast", {d}, {{"to", int64_t(10)}});
  EXPECT_EQ(float(h.data<Half>()[0]), 1.f + std::ldexp(1.f, -10));
  expect_bad_input([&] { make_node("Cast", 1, {{"to", int64_t(17)}}); });  // float8e4m3fn
  expect_bad_input([&] { make_node("Cast", 1, {{"to", int64_t(8)}}); });   // string
  expect_bad_input([&] { make_node("Cast", 1, {}); });                      // 'to' is required
  make_node("Cast", 1, {{"to", int64_t(1)}, {"saturate", int64_t(0)}}, 21);  // accepted, float8-only
}

TEST(Elementwise, ActivationsMatchDoubleNearZeroAndCheckAttributes) {
  Tensor x = Tensor::from_vector<float>({1e-6f, -3e-5f, 0.f, 4.f, -127.f}, {5});
  Tensor e = run1("Erf", {x}), g = run1("Gelu", {x}), t = run1("Tanh", {x}), s = run1("Sigmoid", {x});
  for (int k = 0; k < 5; ++k) {
    double v = x.data<float>()[k];
    EXPECT_EQ(e.data<float>()[k], float(std::erf(v)));
    EXPECT_EQ(t.data<float>()[k], float(std::tanh(v)));
    EXPECT_EQ(g.data<float>()[k], float(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))));
  }
  EXPECT_EQ(s.data<float>()[4], float(std::exp(-127.0)));
  expect_bad_input([&] { make_node("Gelu", 1, {{"approximate", std::string("fast")}}); });
  expect_bad_input([&] { make_node("LeakyRelu", 1, {{"beta", 1.f}}); });
  expect_bad_input([&] { run1("Sqrt", {Tensor::from_vector<int64_t>({4}, {1})}); });
  expect_bad_input([&] { run1("Neg", {Tensor::from_vector<uint8_t>({4}, {1})}); });
}

TEST(Elementwise, ComparisonsAndShapeErrors) {
  Tensor a = Tensor::from_vector<int64_t>({1, 2, 3}, {3}), b = Tensor::scalar<int64_t>(2);
  Tensor lt = run1("Less", {a, b}), eq = run1("Equal", {a, b});
  EXPECT_EQ(lt.dtype(), DType::kBool);
  EXPECT_TRUE(lt.data<bool>()[0] && !lt.data<bool>()[1] && !lt.data<bool>()[2]);
  EXPECT_TRUE(!eq.data<bool>()[0] && eq.data<bool>()[1]);
  Tensor t(DType::kBool, {2});
  EXPECT_EQ(run1("Equal", {t, t}).data<bool>()[0], true);
  expect_bad_input([&] { run1("Greater", {t, t}); });
  expect_bad_input([&] { run1("Add", {iota_f({2, 3}), iota_f({4})}); });
  Tensor empty = run1("Mul", {iota_f({0, 7}), iota_f({1, 7})});
  EXPECT_EQ(empty.shape(), (Shape{0, 7}));
}

}  // namespace
}  // namespace shrink
