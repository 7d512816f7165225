// Loss subgraphs: values against direct float64 transcriptions of the PyTorch definitions
// (F.kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') * T^2, mean squared error), and
// their gradients through autodiff against finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "ops/op.h"
#include "train/losses.h"

namespace shrink::train {
namespace {

Tensor random(Shape s, uint64_t seed, double scale = 2.0) {
  Rng r(seed);
  Tensor t(DType::kFloat64, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = (r.uniform() * 2 - 1) * scale;
  return t;
}

ir::Graph two_inputs(int64_t opset, Shape s) {
  ir::Graph g;
  g.opsets = {{"", opset}};
  for (const char* n : {"a", "b"}) {
    ir::ValueInfo vi{n, DType::kFloat64, std::vector<ir::Dim>{}};
    for (int64_t d : s) vi.dims->push_back(ir::Dim{d});
    g.inputs.push_back(vi);
  }
  return g;
}

double kl_reference(const Tensor& s, const Tensor& t, double T) {
  const int64_t n = s.dim(0), k = s.dim(1);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto log_softmax = [&](const Tensor& x, int64_t j) {
      double mx = -INFINITY, se = 0;
      for (int64_t c = 0; c < k; ++c) mx = std::max(mx, x.data<double>()[i * k + c] / T);
      for (int64_t c = 0; c < k; ++c) se += std::exp(x.data<double>()[i * k + c] / T - mx);
      return x.data<double>()[i * k + j] / T - mx - std::log(se);
    };
    for (int64_t j = 0; j < k; ++j) {
      const double lt = log_softmax(t, j);
      total += std::exp(lt) * (lt - log_softmax(s, j));
    }
  }
  return total / double(n) * T * T;
}

TEST(TrainLosses, DistillationKlMatchesDefinitionAndGradients) {
  for (int64_t opset : {13, 17, 18}) {  // ReduceSum / ReduceMean axes as attribute or input
    ir::Graph g = two_inputs(opset, {5, 7});
    std::string loss = add_distillation_kl(g, "a", "b", 3.f, DType::kFloat64);
    g.outputs.push_back(ir::ValueInfo{loss, DType::kFloat64, std::vector<ir::Dim>{}});
    ops::bind_all(g);
    Tensor s = random({5, 7}, 1), t = random({5, 7}, 2);
    auto values = autograd::evaluate_reference(g, {{"a", s}, {"b", t}});
    EXPECT_NEAR(values.at(loss).as_double(0), kl_reference(s, t, 3.0), 1e-12) << "opset " << opset;
    auto r = autograd::gradcheck(g, {"a"}, {{"a", s}, {"b", t}});
    EXPECT_LE(r.max_error, 1e-6) << r.worst;
  }
  // Identical logits: zero divergence.
  ir::Graph g = two_inputs(17, {2, 3});
  std::string loss = add_distillation_kl(g, "a", "b", 2.f, DType::kFloat64);
  ops::bind_all(g);
  Tensor s = random({2, 3}, 3);
  EXPECT_NEAR(autograd::evaluate_reference(g, {{"a", s}, {"b", s}}).at(loss).as_double(0), 0.0, 1e-12);
}

TEST(TrainLosses, MseAndWeightedSum) {
  ir::Graph g = two_inputs(17, {3, 4});
  std::string mse = add_mse(g, "a", "b", DType::kFloat64);
  std::string mix = add_weighted_sum(g, mse, 0.25f, mse, 0.5f, DType::kFloat64);
  g.outputs.push_back(ir::ValueInfo{mix, DType::kFloat64, std::vector<ir::Dim>{}});
  ops::bind_all(g);
  Tensor a = random({3, 4}, 4), b = random({3, 4}, 5);
  double expected = 0;
  for (int64_t i = 0; i < 12; ++i) expected += std::pow(a.data<double>()[i] - b.data<double>()[i], 2) / 12;
  auto values = autograd::evaluate_reference(g, {{"a", a}, {"b", b}});
  EXPECT_NEAR(values.at(mse).as_double(0), expected, 1e-12);
  EXPECT_NEAR(values.at(mix).as_double(0), 0.75 * expected, 1e-12);
  auto r = autograd::gradcheck(g, {"a", "b"}, {{"a", a}, {"b", b}});
  EXPECT_LE(r.max_error, 1e-6) << r.worst;
}

TEST(TrainLosses, BadParametersAreBadInput) {
  ir::Graph g = two_inputs(17, {2, 3});
  EXPECT_THROW(add_distillation_kl(g, "a", "b", 0.f), Error);
  EXPECT_THROW(add_cross_entropy(g, "a", "b", {.label_smoothing = 1.f}), Error);
}

}  // namespace
}  // namespace shrink::train
