// Sessions: changing batch sizes between runs, determinism across runs and buffer reuse, and
// input validation.
#include <gtest/gtest.h>

#include <cmath>

#include "cli/example_model.h"
#include "core/rng.h"
#include "graph_test_util.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::count_op;
using test_util::max_rel_diff;

Tensor image_batch(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x(DType::kFloat32, {n, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 1.f);
  return x;
}

TEST(Session, BatchSizeMayChangeBetweenRuns) {
  ir::Graph g = cli::example_cnn(1);
  runtime::Session fast(g), ref(g, {.optimize = false, .reference_only = true});
  for (int64_t n : {1, 3, 1, 2, 7, 3}) {
    Tensor x = image_batch(n, uint64_t(n));
    Tensor a = fast.run({x})[0], b = ref.run({x})[0];
    EXPECT_EQ(a.shape(), (Shape{n, 10}));
    EXPECT_LE(max_rel_diff(a, b), 1e-5) << "batch " << n;
  }
}

TEST(Session, RepeatedRunsAreBitIdentical) {
  ir::Graph g = cli::example_cnn(2);
  for (int threads : {1, 2}) {
    runtime::Session s(g, {.threads = threads});
    Tensor x = image_batch(4, 9);
    Tensor first = s.run({x})[0];
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.run({x})[0].bit_equal(first)) << threads << " threads";
  }
}

TEST(Session, RefusesInputsThatDoNotFit) {
  runtime::Session s(cli::example_cnn(0));
  auto bad = [&](std::vector<Tensor> in) {
    try {
      s.run(in);
    } catch (const Error& e) {
      return e.kind() == ErrorKind::kBadInput;
    }
    return false;
  };
  EXPECT_TRUE(bad({}));                                          // missing
  EXPECT_TRUE(bad({Tensor(DType::kInt64, {1, 3, 32, 32})}));     // dtype
  EXPECT_TRUE(bad({Tensor(DType::kFloat32, {3, 32, 32})}));      // rank
  EXPECT_TRUE(bad({Tensor(DType::kFloat32, {1, 4, 32, 32})}));   // fixed dim
  EXPECT_TRUE(bad({image_batch(1, 0), image_batch(1, 0)}));      // too many
}

}  // namespace
}  // namespace shrink
