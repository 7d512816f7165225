// Extra elementwise, shape and reduce ops (Ceil/Floor/Round/Sign/Not/CastLike, And/Or/Xor/Mod,
// LessOrEqual/GreaterOrEqual, Size, ReduceMin/Prod/L2/SumSquare/LogSumExp): rounding ties, Mod
// sign rules and zero divisors, broadcasts over awkward shapes, empty reductions, and bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

TEST(Extras, RoundingOps) {
  Tensor x = Tensor::from_vector<float>({-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.4f, -2.6f}, {8});
  EXPECT_EQ(values<float>(run1("Round", {x})), (std::vector<float>{-2, -2, -0, 0, 2, 2, 2, -3}));
  EXPECT_EQ(values<float>(run1("Ceil", {x})), (std::vector<float>{-2, -1, -0, 1, 2, 3, 3, -2}));
  EXPECT_EQ(values<float>(run1("Floor", {x})), (std::vector<float>{-3, -2, -1, 0, 1, 2, 2, -3}));
  Tensor d = Tensor::from_vector<double>({0.5, 3.5, std::nan("")}, {3});
  Tensor rd = run1("Round", {d});
  EXPECT_EQ(rd.data<double>()[0], 0.0);
  EXPECT_EQ(rd.data<double>()[1], 4.0);
  EXPECT_TRUE(std::isnan(rd.data<double>()[2]));
  expect_bad_input([] { run1("Floor", {Tensor::from_vector<int32_t>({1}, {1})}); });
}

TEST(Extras, SignAndNot) {
  Tensor i = Tensor::from_vector<int64_t>({-7, 0, std::numeric_limits<int64_t>::min(), 9}, {2, 2});
  EXPECT_EQ(values<int64_t>(run1("Sign", {i})), (std::vector<int64_t>{-1, 0, -1, 1}));
  Tensor u = Tensor::from_vector<uint8_t>({0, 200}, {2});
  EXPECT_EQ(values<uint8_t>(run1("Sign", {u})), (std::vector<uint8_t>{0, 1}));
  Tensor f = run1("Sign", {Tensor::from_vector<float>({-0.f, std::nanf(""), -3.f}, {3})});
  EXPECT_EQ(f.data<float>()[0], 0.f);
  EXPECT_TRUE(std::isnan(f.data<float>()[1]));
  EXPECT_EQ(f.data<float>()[2], -1.f);
  Tensor b = Tensor::from_vector<bool>({true, false, true}, {3});
  EXPECT_EQ(values<bool>(run1("Not", {b})), (std::vector<bool>{false, true, false}));
  expect_bad_input([] { run1("Not", {Tensor::from_vector<float>({1.f}, {1})}); });
  expect_bad_input([] { run1("Sign", {Tensor::from_vector<bool>({true}, {1})}); });
}

TEST(Extras, CastLikeTakesTargetTypeFromInput1) {
  Tensor x = Tensor::from_vector<float>({-1.7f, 2.9f, 300.f}, {3});
  Tensor like = Tensor::from_vector<int64_t>({}, {0});
  Tensor y = run1("CastLike", {x, like}, {}, 15);
  ASSERT_EQ(y.dtype(), DType::kInt64);
  EXPECT_EQ(values<int64_t>(y), (std::vector<int64_t>{-1, 2, 300}));
  Tensor y8 = run1("CastLike", {x, Tensor::from_vector<uint8_t>({0}, {1})}, {{"saturate", int64_t(1)}}, 19);
  EXPECT_EQ(values<uint8_t>(y8), (std::vector<uint8_t>{0, 2, 255}));
  expect_bad_input([] { make_node("CastLike", 2, {{"saturate", int64_t(1)}}, 15); });  // attr is 19+
  expect_bad_input([] { make_node("CastLike", 2, {}, 13); });                            // op is 15+
}

TEST(Extras, LogicalOpsBroadcast) {
  Tensor a = Tensor::from_vector<bool>({true, false, true, false, true, false, true}, {7, 1});
  Tensor b = Tensor::from_vector<bool>({true, false}, {1, 2});
  Tensor z_and = run1("And", {a, b}), z_or = run1("Or", {a, b}), z_xor = run1("Xor", {a, b});
  ASSERT_EQ(z_and.shape(), (Shape{7, 2}));
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < 2; ++c) {
      const bool x = a.data<bool>()[r], y = b.data<bool>()[c];
      EXPECT_EQ(z_and.data<bool>()[r * 2 + c], x && y);
      EXPECT_EQ(z_or.data<bool>()[r * 2 + c], x || y);
      EXPECT_EQ(z_xor.data<bool>()[r * 2 + c], x != y);
    }
  expect_bad_input([] { run1("And", {Tensor::scalar(1.f), Tensor::scalar(1.f)}); });
}

TEST(Extras, ComparisonsOrEqual) {
  Tensor a = Tensor::from_vector<int64_t>({1, 2, 3}, {3});
  Tensor b = Tensor::scalar<int64_t>(2);
  EXPECT_EQ(values<bool>(run1("LessOrEqual", {a, b})), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(values<bool>(run1("GreaterOrEqual", {a, b})), (std::vector<bool>{false, true, true}));
  Tensor n = Tensor::from_vector<float>({std::nanf(""), 1.f}, {2});
  EXPECT_EQ(values<bool>(run1("LessOrEqual", {n, n})), (std::vector<bool>{false, true}));
  expect_bad_input([&] { run1("GreaterOrEqual", {a, Tensor::scalar(2.f)}); });
}

TEST(Extras, ModSignRulesAndZeroDivisor) {
  Tensor a = Tensor::from_vector<int32_t>({-7, 7, -7, 7, std::numeric_limits<int32_t>::min()}, {5});
  Tensor b = Tensor::from_vector<int32_t>({3, -3, -3, 3, -1}, {5});
  EXPECT_EQ(values<int32_t>(run1("Mod", {a, b})), (std::vector<int32_t>{2, -2, -1, 1, 0}));
  EXPECT_EQ(values<int32_t>(run1("Mod", {a, b}, {{"fmod", int64_t(1)}})), (std::vector<int32_t>{-1, 1, -1, 1, 0}));
  Tensor fa = Tensor::from_vector<float>({-7.5f, 7.5f, 1.f}, {3});
  Tensor fb = Tensor::from_vector<float>({2.f, -2.f, 0.f}, {3});
  Tensor ff = run1("Mod", {fa, fb}, {{"fmod", int64_t(1)}});
  EXPECT_EQ(ff.data<float>()[0], -1.5f);
  EXPECT_EQ(ff.data<float>()[1], 1.5f);
  EXPECT_TRUE(std::isnan(ff.data<float>()[2]));
  Tensor fp = run1("Mod", {fa, fb});  // np.mod semantics
  EXPECT_EQ(fp.data<float>()[0], 0.5f);
  EXPECT_EQ(fp.data<float>()[1], -0.5f);
  Tensor u = run1("Mod", {Tensor::from_vector<uint8_t>({250, 7}, {2}), Tensor::scalar<uint8_t>(7)});
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{5, 0}));
  expect_bad_input([] {
    run1("Mod", {Tensor::from_vector<int64_t>({1, 2}, {2}), Tensor::from_vector<int64_t>({1, 0}, {2})});
  });
  expect_bad_input([] { make_node("Mod", 2, {{"fmod", int64_t(2)}}); });
}

TEST(Extras, SizeIsInt64Scalar) {
  for (Shape s : {Shape{}, Shape{0, 5}, Shape{7, 13, 127}}) {
    Tensor y = run1("Size", {Tensor(DType::kFloat16, s)});
    ASSERT_EQ(y.dtype(), DType::kInt64);
    ASSERT_EQ(y.shape(), Shape{});
    EXPECT_EQ(y.data<int64_t>()[0], numel(s));
  }
}

Tensor axes(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(v, {int64_t(v.size())}); }

TEST(Extras, ReductionsOverAwkwardShapes) {
  Tensor x(DType::kFloat32, {7, 13});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = float((i * 37) % 11) * 0.25f - 1.f;
  auto check = [&](const std::string& op, auto ref) {
    Tensor y = run1(op, {x, axes({1})}, {{"keepdims", int64_t(0)}}, 18);
    ASSERT_EQ(y.shape(), (Shape{7})) << op;
    for (int r = 0; r < 7; ++r) {
      std::vector<double> row(13);
      for (int c = 0; c < 13; ++c) row[size_t(c)] = x.data<float>()[r * 13 + c];
      const double e = ref(row);
      EXPECT_NEAR(y.data<float>()[r], e, 1e-5 + 1e-5 * std::fabs(e)) << op << " row " << r;
    }
  };
  check("ReduceMin", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  check("ReduceProd", [](const std::vector<double>& v) { double p = 1; for (double d : v) p *= d; return p; });
  auto sum_sq = [](const std::vector<double>& v) {
    double s = 0;
    for (double d : v) s += d * d;
    return s;
  };
  check("ReduceSumSquare", sum_sq);
  check("ReduceL2", [&](const std::vector<double>& v) { return std::sqrt(sum_sq(v)); });
  check("ReduceLogSumExp", [](const std::vector<double>& v) {
    double s = 0;
    for (double d : v) s += std::exp(d);
    return std::log(s);
  });
}

TEST(Extras, ReductionsAttributeAxesAndIntegers) {
  Tensor x = Tensor::from_vector<int64_t>({3, -2, 5, 4, 1, -6}, {2, 3});
  ir::AttributeMap a{{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t(1)}};
  Tensor mn = run1("ReduceMin", {x}, a, 13);
  ASSERT_EQ(mn.shape(), (Shape{1, 3}));
  EXPECT_EQ(values<int64_t>(mn), (std::vector<int64_t>{3, -2, -6}));
  EXPECT_EQ(values<int64_t>(run1("ReduceProd", {x}, a, 13)), (std::vector<int64_t>{12, -2, -30}));
  EXPECT_EQ(values<int64_t>(run1("ReduceSumSquare", {x}, a, 13)), (std::vector<int64_t>{25, 5, 61}));
  EXPECT_EQ(values<int64_t>(run1("ReduceL2", {x}, a, 13)), (std::vector<int64_t>{5, 2, 7}));
  // axes became an input in opset 18: the attribute is refused there.
  expect_bad_input([&] { make_node("ReduceMin", 1, a, 18); });
  expect_bad_input([&] { run1("ReduceProd", {x, axes({2})}, {}, 18); });
  expect_bad_input([&] { run1("ReduceL2", {x, axes({1, -1})}, {}, 18); });
  Tensor b = Tensor::from_vector<bool>({true, false, true, true}, {2, 2});
  EXPECT_EQ(values<bool>(run1("ReduceMin", {b, axes({1})}, {{"keepdims", int64_t(0)}}, 20)),
            (std::vector<bool>{false, true}));
}

TEST(Extras, EmptyReductionsAndLogSumExpStability) {
  Tensor e(DType::kFloat32, {2, 0, 3});
  ir::AttributeMap k0{{"keepdims", int64_t(0)}};
  EXPECT_EQ(values<float>(run1("ReduceMin", {e, axes({1})}, k0, 18))[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(values<float>(run1("ReduceProd", {e, axes({1})}, k0, 18))[0], 1.f);
  EXPECT_EQ(values<float>(run1("ReduceL2", {e, axes({1})}, k0, 18))[0], 0.f);
  EXPECT_EQ(values<float>(run1("ReduceSumSquare", {e, axes({1})}, k0, 18))[0], 0.f);
  EXPECT_EQ(values<float>(run1("ReduceLogSumExp", {e, axes({1})}, k0, 18))[0], -std::numeric_limits<float>::infinity());
  Tensor big = Tensor::from_vector<float>({1000.f, 1000.f, -std::numeric_limits<float>::infinity()}, {3});
  Tensor y = run1("ReduceLogSumExp", {big}, k0, 18);
  EXPECT_NEAR(y.data<float>()[0], 1000.f + std::log(2.f), 1e-3);
  Tensor n = Tensor::from_vector<float>({1.f, std::nanf(""), 2.f}, {3});
  EXPECT_TRUE(std::isnan(run1("ReduceLogSumExp", {n}, k0, 18).data<float>()[0]));
  EXPECT_TRUE(std::isnan(run1("ReduceMin", {n}, k0, 18).data<float>()[0]));
  // noop_with_empty_axes keeps the shape and applies only the per-element step (as the ONNX reference).
  Tensor v = Tensor::from_vector<float>({-3.f, 2.f}, {2});
  Tensor sq = run1("ReduceSumSquare", {v}, {{"noop_with_empty_axes", int64_t(1)}}, 18);
  ASSERT_EQ(sq.shape(), (Shape{2}));
  EXPECT_EQ(values<float>(sq), (std::vector<float>{9.f, 4.f}));
}

}  // namespace
}  // namespace shrink
