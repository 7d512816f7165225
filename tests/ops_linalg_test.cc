// Linear algebra, softmax, layer norm and reduce ops: awkward shapes checked against naive
// double-precision loops, integer paths, opset-dependent signatures and bad inputs that must be
// refused as kBadInput. Conformance data covers the common cases; this covers what it does not.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/op.h"

namespace shrink {
namespace {

ir::Node make_node(const std::string& op, size_t n_in, size_t n_out, ir::AttributeMap attrs = {}) {
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

Tensor random_tensor(Shape s, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(g);
  return t;
}

void expect_bad_input(const std::function<void()>& f) {
  try {
    f();
    ADD_FAILURE() << "expected shrink::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
  }
}

// Naive batched matmul over already-broadcast-compatible 3-D views [batch, m, k] x [batch, k, n].
void expect_matmul_close(const Tensor& y, const Tensor& a, const Tensor& b, int64_t batch, int64_t m, int64_t k,
                         int64_t n, bool a_bcast, bool b_bcast) {
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += double(a.data<float>()[(a_bcast ? 0 : bi) * m * k + i * k + p]) *
               double(b.data<float>()[(b_bcast ? 0 : bi) * k * n + p * n + j]);
        ASSERT_NEAR(y.data<float>()[bi * m * n + i * n + j], s, 1e-4 + 1e-4 * std::fabs(s)) << bi << " " << i << " " << j;
      }
}

TEST(MatMul, AwkwardShapesMatchNaive) {
  for (auto [m, k, n] : {std::array<int64_t, 3>{1, 7, 13}, {7, 13, 127}, {13, 1, 7}, {127, 300, 257}, {5, 129, 1}}) {
    Tensor a = random_tensor({m, k}, 1), b = random_tensor({k, n}, 2);
    auto y = run(make_node("MatMul", 2, 1), 13, {a, b});
    ASSERT_EQ(y[0].shape(), (Shape{m, n}));
    expect_matmul_close(y[0], a, b, 1, m, k, n, false, false);
  }
}

TEST(MatMul, BatchBroadcastAndVectors) {
  Tensor a = random_tensor({3, 7, 13}, 3), b = random_tensor({13, 5}, 4);
  auto y = run(make_node("MatMul", 2, 1), 13, {a, b});
  ASSERT_EQ(y[0].shape(), (Shape{3, 7, 5}));
  expect_matmul_close(y[0], a, b, 3, 7, 13, 5, false, true);
  Tensor v = random_tensor({13}, 5);
  EXPECT_EQ(run(make_node("MatMul", 2, 1), 13, {a, v})[0].shape(), (Shape{3, 7}));
  EXPECT_EQ(run(make_node("MatMul", 2, 1), 13, {v, v})[0].shape(), (Shape{}));
  EXPECT_EQ(run(make_node("MatMul", 2, 1), 13, {random_tensor({2, 1, 4, 6}, 6), random_tensor({3, 6, 2}, 7)})[0].shape(),
            (Shape{2, 3, 4, 2}));
}

TEST(MatMul, IntegerPathsAreExact) {
  Tensor a = Tensor::from_vector<int64_t>({1, -2, 3, 4, 5, -6}, {2, 3});
  Tensor b = Tensor::from_vector<int64_t>({int64_t(1) << 40, 2, 3, 4, 5, 6}, {3, 2});
  auto y = run(make_node("MatMul", 2, 1), 13, {a, b});
  const int64_t* p = y[0].data<int64_t>();
  EXPECT_EQ(p[0], (int64_t(1) << 40) - 6 + 15);
  EXPECT_EQ(p[1], 2 - 8 + 18);
  EXPECT_EQ(p[3], 8 + 20 - 36);
  Tensor c = Tensor::from_vector<int32_t>({2, 3}, {1, 2}), d = Tensor::from_vector<int32_t>({4, 5}, {2, 1});
  EXPECT_EQ(run(make_node("MatMul", 2, 1), 13, {c, d})[0].data<int32_t>()[0], 23);
}

TEST(MatMul, RefusesBadShapes) {
  expect_bad_input([] { run(make_node("MatMul", 2, 1), 13, {random_tensor({2, 3}, 1), random_tensor({4, 2}, 2)}); });
  expect_bad_input([] { run(make_node("MatMul", 2, 1), 13, {random_tensor({2, 2, 3}, 1), random_tensor({3, 3, 2}, 2)}); });
  expect_bad_input([] { run(make_node("MatMul", 2, 1), 13, {Tensor::scalar<float>(1), random_tensor({3}, 2)}); });
}

TEST(Gemm, TransposesAlphaBetaAndBias) {
  const int64_t m = 7, k = 13, n = 127;
  Tensor at = random_tensor({k, m}, 1), bt = random_tensor({n, k}, 2), c = random_tensor({n}, 3);
  ir::AttributeMap attrs{{"transA", int64_t(1)}, {"transB", int64_t(1)}, {"alpha", 0.5f}, {"beta", 2.f}};
  auto y = run(make_node("Gemm", 3, 1, attrs), 13, {at, bt, c});
  ASSERT_EQ(y[0].shape(), (Shape{m, n}));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += double(at.data<float>()[p * m + i]) * bt.data<float>()[j * k + p];
      s = 0.5 * s + 2.0 * c.data<float>()[j];
      ASSERT_NEAR(y[0].data<float>()[i * n + j], s, 1e-5 + 1e-4 * std::fabs(s));
    }
}

TEST(Gemm, RefusesBadBiasAndInnerDims) {
  expect_bad_input([] {
    run(make_node("Gemm", 3, 1), 13, {random_tensor({2, 3}, 1), random_tensor({3, 4}, 2), random_tensor({3}, 3)});
  });
  expect_bad_input([] { run(make_node("Gemm", 2, 1), 13, {random_tensor({2, 3}, 1), random_tensor({4, 4}, 2)}); });
  expect_bad_input([] { run(make_node("Gemm", 2, 1, {{"transA", int64_t(2)}}), 13, {random_tensor({2, 3}, 1), random_tensor({3, 4}, 2)}); });
}

TEST(Softmax, Opset11CoercesTo2D) {
  Tensor x = random_tensor({2, 3, 4}, 9);
  auto y11 = run(make_node("Softmax", 1, 1), 11, {x});
  auto y13 = run(make_node("Softmax", 1, 1, {{"axis", int64_t(1)}}), 13, {x});
  double row0 = 0, col0 = 0;
  for (int i = 0; i < 12; ++i) row0 += y11[0].data<float>()[i];
  for (int i = 0; i < 3; ++i) col0 += y13[0].data<float>()[i * 4];
  EXPECT_NEAR(row0, 1.0, 1e-6);
  EXPECT_NEAR(col0, 1.0, 1e-6);
  expect_bad_input([&] { run(make_node("LogSoftmax", 1, 1, {{"axis", int64_t(3)}}), 13, {x}); });
  expect_bad_input([] { run(make_node("Softmax", 1, 1), 13, {Tensor::from_vector<int64_t>({1, 2}, {2})}); });
}

TEST(LayerNormalization, StatisticsOutputsWithoutBias) {
  Tensor x = random_tensor({3, 127}, 10);
  Tensor scale = Tensor::from_vector<float>(std::vector<float>(127, 2.f), {127});
  auto y = run(make_node("LayerNormalization", 2, 3, {{"epsilon", 1e-3f}}), 17, {x, scale});
  ASSERT_EQ(y[1].shape(), (Shape{3, 1}));
  ASSERT_EQ(y[2].dtype(), DType::kFloat32);
  double mean = 0, var = 0;
  for (int j = 0; j < 127; ++j) mean += x.data<float>()[127 + j];
  mean /= 127;
  for (int j = 0; j < 127; ++j) var += std::pow(x.data<float>()[127 + j] - mean, 2);
  var /= 127;
  EXPECT_NEAR(y[1].data<float>()[1], mean, 1e-6);
  EXPECT_NEAR(y[2].data<float>()[1], 1 / std::sqrt(var + 1e-3), 1e-4);
  EXPECT_NEAR(y[0].data<float>()[127 + 5], (x.data<float>()[127 + 5] - mean) * 2 / std::sqrt(var + 1e-3), 1e-4);
  expect_bad_input([&] { run(make_node("LayerNormalization", 2, 1), 17, {x, random_tensor({7}, 1)}); });
}

TEST(Reduce, AttributeAxesBeforeOpset13AndIntegers) {
  Tensor x = Tensor::from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto s = run(make_node("ReduceSum", 1, 1, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t(0)}}), 11, {x});
  EXPECT_EQ(s[0].shape(), (Shape{2}));
  EXPECT_EQ(s[0].data<int64_t>()[1], 15);
  auto m = run(make_node("ReduceMean", 1, 1, {{"axes", std::vector<int64_t>{0}}}), 13, {x});
  EXPECT_EQ(m[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(m[0].data<int64_t>()[0], 2);  // (1 + 4) / 2 truncates
  auto mx = run(make_node("ReduceMax", 2, 1), 18,
                {Tensor(DType::kInt32, {0, 3}), Tensor::from_vector<int64_t>({0}, {1})});
  EXPECT_EQ(mx[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(mx[0].data<int32_t>()[2], std::numeric_limits<int32_t>::lowest());
}

TEST(Reduce, MixedAxesMatchNaive) {
  Tensor x = random_tensor({7, 1, 13, 5, 3}, 11);
  auto y = run(make_node("ReduceSum", 2, 1), 13, {x, Tensor::from_vector<int64_t>({0, -2}, {2})});
  ASSERT_EQ(y[0].shape(), (Shape{1, 1, 13, 1, 3}));
  for (int c = 0; c < 13; ++c)
    for (int e = 0; e < 3; ++e) {
      double s = 0;
      for (int a = 0; a < 7; ++a)
        for (int d = 0; d < 5; ++d) s += x.data<float>()[((a * 13 + c) * 5 + d) * 3 + e];
      ASSERT_NEAR(y[0].data<float>()[c * 3 + e], s, 1e-5);
    }
}

TEST(Reduce, RefusesBadAxesAndWaitsForUnknownAxes) {
  Tensor x = random_tensor({2, 3}, 1);
  expect_bad_input([&] { run(make_node("ReduceMean", 2, 1), 18, {x, Tensor::from_vector<int64_t>({2}, {1})}); });
  expect_bad_input([&] { run(make_node("ReduceSum", 2, 1), 13, {x, Tensor::from_vector<int64_t>({1, -1}, {2})}); });
  expect_bad_input([&] { run(make_node("ReduceMax", 1, 1, {{"axes", std::vector<int64_t>{0}}}), 18, {x}); });
  ir::Node n = make_node("ReduceSum", 2, 1);
  ops::bind(n, 13);
  std::vector<ops::ValueMeta> in{{DType::kFloat32, {2, 3}, nullptr}, {DType::kInt64, {1}, nullptr}};
  std::vector<ops::ValueMeta> out(1);
  EXPECT_FALSE(ops::schema_of(n).infer(n, in, out));
}

TEST(Einsum, DiagonalTraceEllipsisAndImplicit) {
  Tensor sq = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  auto diag = run(make_node("Einsum", 1, 1, {{"equation", std::string("ii->i")}}), 12, {sq});
  EXPECT_EQ(diag[0].shape(), (Shape{3}));
  EXPECT_EQ(diag[0].data<double>()[2], 9);
  auto trace = run(make_node("Einsum", 1, 1, {{"equation", std::string("ii")}}), 12, {sq});
  EXPECT_EQ(trace[0].shape(), (Shape{}));
  EXPECT_EQ(trace[0].data<double>()[0], 15);
  auto tr = run(make_node("Einsum", 1, 1, {{"equation", std::string("ji")}}), 12, {sq});  // implicit: "ij" order
  EXPECT_EQ(tr[0].data<double>()[1], 4);
  Tensor a = random_tensor({2, 1, 7, 13}, 1), b = random_tensor({3, 13, 5}, 2);
  auto y = run(make_node("Einsum", 2, 1, {{"equation", std::string("...ij, ...jk -> ...ik")}}), 12, {a, b});
  auto z = run(make_node("MatMul", 2, 1), 13, {a, b});
  ASSERT_EQ(y[0].shape(), z[0].shape());
  for (int64_t i = 0; i < y[0].numel(); ++i) ASSERT_NEAR(y[0].data<float>()[i], z[0].data<float>()[i], 1e-5);
  expect_bad_input([&] { run(make_node("Einsum", 2, 1, {{"equation", std::string("ij,jk->ix")}}), 12, {a, b}); });
  expect_bad_input([&] { run(make_node("Einsum", 1, 1, {{"equation", std::string("ij->i.j")}}), 12, {sq}); });
  expect_bad_input([&] { run(make_node("Einsum", 2, 1, {{"equation", std::string("ij,jk")}}), 12, {sq, a}); });
}

}  // namespace
}  // namespace shrink
