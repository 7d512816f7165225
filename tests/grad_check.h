// Test helpers for the gradient ops (tests/ops_grad*_test.cc): building nodes, random inputs away
// from kinks, and the vector-Jacobian product of a forward op by central finite differences in
// double, compared element by element with a gradient op's output.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/rng.h"
#include "core/threads.h"
#include "ops/op.h"

namespace shrink::gradtest {

// Finite-difference step and tolerance: relative error
// |analytic - numeric| / max(kFdFloor, |analytic|, |numeric|) <= kFdTol. Central differences in double
// with h = 1e-5 leave ~1e-10 truncation and ~1e-11 rounding error; the floor keeps gradients that
// are zero (or nearly) from demanding an exact zero from the differences.
inline constexpr double kFdStep = 1e-5;
inline constexpr double kFdTol = 1e-6;
inline constexpr double kFdFloor = 1e-2;

inline ir::Node make_node(const std::string& op, int n_in, int n_out = 1, ir::AttributeMap attrs = {},
                          const std::string& domain = "com.shrink") {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  n.domain = domain;
  for (int i = 0; i < n_in; ++i) n.inputs.push_back("i" + std::to_string(i));
  for (int i = 0; i < n_out; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}
inline ir::Node onnx_node(const std::string& op, int n_in, int n_out = 1, ir::AttributeMap attrs = {}) {
  return make_node(op, n_in, n_out, std::move(attrs), "");
}

inline std::vector<Tensor> run(ir::Node n, const std::vector<Tensor>& in, int64_t opset = 20) {
  ops::bind(n, opset);
  return ops::run_reference(n, in);
}

// The bound node's reference kernel (run_reference taking a braced list of inputs).
inline std::vector<Tensor> ref(const ir::Node& n, const std::vector<Tensor>& in) { return ops::run_reference(n, in); }

inline Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector(v, {int64_t(v.size())}); }

// Uniform in [lo, hi), redrawn while closer than `margin` to any of `kinks`.
inline Tensor random_tensor(Rng& rng, const Shape& s, double lo, double hi, std::vector<double> kinks = {},
                            double margin = 0.05, DType t = DType::kFloat64) {
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v;
    bool near;
    do {
      v = lo + rng.uniform() * (hi - lo);
      near = false;
      for (double k : kinks) near = near || std::fabs(v - k) < margin;
    } while (near);
    if (t == DType::kFloat64) x.data<double>()[i] = v;
    else x.data<float>()[i] = float(v);
  }
  return x;
}

inline bool bad_input(const std::function<void()>& f, const std::string& needle = "") {
  try {
    f();
  } catch (const Error& e) {
    return e.kind() == ErrorKind::kBadInput && std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

// <dY, d f(in)[output] / d in[wrt]> by central differences, for every element of in[wrt].
inline Tensor numeric_vjp(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> in,
                          size_t wrt, const Tensor& dy) {
  Tensor x = in[wrt].clone();
  Tensor g(DType::kFloat64, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    double sides[2];
    for (int s = 0; s < 2; ++s) {
      Tensor xp = x.clone();
      xp.data<double>()[i] += s == 0 ? kFdStep : -kFdStep;
      in[wrt] = xp;
      Tensor y = f(in);
      double dot = 0;
      for (int64_t k = 0; k < y.numel(); ++k) dot += dy.data<double>()[k] * y.data<double>()[k];
      sides[s] = dot;
    }
    g.data<double>()[i] = (sides[0] - sides[1]) / (2 * kFdStep);
  }
  return g;
}

// numeric_vjp for output `out` of a bound forward node.
inline Tensor numeric_vjp(const ir::Node& fwd, const std::vector<Tensor>& in, size_t wrt, const Tensor& dy,
                          size_t out = 0) {
  return numeric_vjp([&](const std::vector<Tensor>& v) { return ops::run_reference(fwd, v)[out]; }, in, wrt, dy);
}

inline void expect_grad_near(const Tensor& analytic, const Tensor& numeric, const std::string& what) {
  ASSERT_EQ(analytic.shape(), numeric.shape()) << what;
  for (int64_t i = 0; i < analytic.numel(); ++i) {
    const double a = analytic.data<double>()[i], n = numeric.data<double>()[i];
    const double scale = std::max({kFdFloor, std::fabs(a), std::fabs(n)});
    ASSERT_LE(std::fabs(a - n), kFdTol * scale) << what << " element " << i << ": analytic " << a << " numeric " << n;
  }
}

// Runs the bound node's reference kernel on 1 and on 3 threads; every output must be bit-identical.
inline void expect_thread_independent(const ir::Node& n, const std::vector<Tensor>& in) {
  const int saved = num_threads();
  set_num_threads(1);
  auto one = ops::run_reference(n, in);
  set_num_threads(3);
  auto three = ops::run_reference(n, in);
  set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(one[i].bit_equal(three[i])) << n.op_type << " output " << i;
}

}  // namespace shrink::gradtest
