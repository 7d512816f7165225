// The packed-B GEMM (runtime/cpu/sgemm_packed.h) against a double-precision product with the same
// epilogue: every row-tile height (1-6 rows and their multiples), full and partial 16-column panels,
// K from 1 up, bias / residual / each activation, one and two threads on the column and row splits;
// and the same results whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "core/threads.h"
#include "graph_test_util.h"
#include "runtime/cpu/sgemm_packed.h"

namespace shrink {
namespace {

using test_util::random_tensor;

float activate(ops::Activation a, float v, float alpha, float beta) {
  float x = v;
  ops::apply_activation(a, alpha, beta, &x, 1);
  return x;
}

struct Case {
  int64_t m, k, n;
  bool bias, residual, trans;
  ops::Activation act;
};

void check(const Case& c, int threads) {
  SCOPED_TRACE(::testing::Message() << "m " << c.m << " k " << c.k << " n " << c.n << " bias " << c.bias
                                    << " residual " << c.residual << " trans " << c.trans << " act "
                                    << int(c.act) << " threads " << threads);
  const Tensor a = random_tensor({c.m, c.k}, 1), w = random_tensor(c.trans ? Shape{c.n, c.k} : Shape{c.k, c.n}, 2);
  const Tensor bias = random_tensor({c.n}, 3), res = random_tensor({c.m, c.n}, 4);
  runtime::PackedB b(w.data<float>(), c.k, c.n, c.trans ? c.k : c.n, c.trans);
  runtime::GemmEpilogue e;
  e.bias = c.bias ? bias.data<float>() : nullptr;
  e.residual = c.residual ? res.data<float>() : nullptr;
  e.ldr = c.n;
  e.activation = c.act;
  e.alpha = c.act == ops::Activation::kClip ? -0.5f : 0.1f;
  e.beta = c.act == ops::Activation::kClip ? 0.6f : 0.f;
  std::vector<float> y(size_t(c.m * c.n), NAN);
  set_num_threads(threads);
  runtime::sgemm_packed(c.m, a.data<float>(), c.k, b, y.data(), c.n, e);
  set_num_threads(1);
  double worst = 0;
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      double s = 0;
      for (int64_t kk = 0; kk < c.k; ++kk)
        s += double(a.data<float>()[i * c.k + kk]) *
             w.data<float>()[c.trans ? j * c.k + kk : kk * c.n + j];
      if (c.bias) s += bias.data<float>()[j];
      if (c.residual) s += res.data<float>()[i * c.n + j];
      const float want = activate(c.act, float(s), e.alpha, e.beta);
      worst = std::max(worst, std::abs(double(y[size_t(i * c.n + j)]) - want) / (1.0 + std::abs(want)));
    }
  EXPECT_LE(worst, 1e-5 * std::sqrt(double(c.k) + 1));
}

TEST(SgemmPacked, MatchesDoubleProductOnEveryTileShape) {
  using A = ops::Activation;
  for (int64_t m : {1, 2, 3, 4, 5, 6, 7, 13, 40})
    for (int64_t n : {1, 15, 16, 17, 40})
      for (int64_t k : {1, 3, 37}) check({m, k, n, m % 2 == 1, n % 2 == 1, k == 3, A::kNone}, 1);
  for (A act : {A::kNone, A::kRelu, A::kClip, A::kSigmoid, A::kHardSwish, A::kLeakyRelu})
    for (int64_t n : {16, 21}) check({9, 20, n, true, true, false, act}, 1);
}

TEST(SgemmPacked, TwoThreadsSplitColumnsOrRowsAndGiveTheSameBits) {
  using A = ops::Activation;
  // Many panels (column split), few panels (row split), and a product too small to split.
  for (Case c : {Case{128, 256, 300, true, true, false, A::kRelu}, Case{131, 200, 20, true, false, true, A::kClip},
                 Case{7, 5, 3, false, false, false, A::kNone}}) {
    check(c, 2);
    const Tensor a = random_tensor({c.m, c.k}, 5), w = random_tensor({c.k, c.n}, 6);
    runtime::PackedB b(w.data<float>(), c.k, c.n, c.n, false);
    std::vector<float> y1(size_t(c.m * c.n)), y2(y1.size());
    set_num_threads(1);
    runtime::sgemm_packed(c.m, a.data<float>(), c.k, b, y1.data(), c.n, {});
    set_num_threads(2);
    runtime::sgemm_packed(c.m, a.data<float>(), c.k, b, y2.data(), c.n, {});
    set_num_threads(1);
    EXPECT_EQ(y1, y2) << "results independent of the thread count";
  }
}

}  // namespace
}  // namespace shrink
