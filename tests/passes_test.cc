// Graph passes: each rewrite removes what it should and keeps the outputs (against the
// un-optimized graph run on reference kernels).
#include <gtest/gtest.h>

#include <cmath>

#include "cli/example_model.h"
#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "graph_test_util.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::count_op;
using test_util::max_rel_diff;

TEST(FoldBatchNorm, RemovesBatchNormAndKeepsOutputs) {
  ir::Graph g = cli::example_cnn(5);
  ASSERT_EQ(count_op(g, "BatchNormalization"), 3);
  ir::Graph folded = passes::fold_batchnorm(g);
  EXPECT_EQ(count_op(folded, "BatchNormalization"), 0);
  EXPECT_EQ(count_op(folded, "Conv"), 3);
  Rng rng(1);
  Tensor x(DType::kFloat32, {2, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 1.f);
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  runtime::Session opt(folded, {.optimize = false, .reference_only = true});
  EXPECT_LE(max_rel_diff(opt.run({x})[0], ref.run({x})[0]), 1e-5);
}

TEST(FoldConstants, EvaluatesConstantSubgraphs) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{2}, {3}}, ""});
  ir::GraphBuilder b(g);
  auto a = b.constant("a", Tensor::from_vector<float>({1, 2, 3}, {3}));
  auto two = b.constant("two", Tensor::scalar<float>(2.f));
  auto a2 = b.op("Mul", {a, two}, {}, "mul");        // constant
  auto y = b.op("Add", {"x", a2}, {}, "add");        // not constant
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  ir::Graph f = passes::fold_constants(g);
  EXPECT_EQ(f.nodes.size(), 1u);
  EXPECT_EQ(f.initializers.count("a"), 0u);  // dead after folding
  runtime::Session s(f);
  Tensor out = s.run({Tensor::from_vector<float>({0, 0, 0, 1, 1, 1}, {2, 3})})[0];
  EXPECT_EQ(out.data<float>()[2], 6.f);
  EXPECT_EQ(out.data<float>()[3], 3.f);
}

TEST(DeadCode, RemovesUnusedNodesAndInitializers) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{3}}, ""});
  ir::GraphBuilder b(g);
  auto w = b.constant("w", Tensor::from_vector<float>({1, 2, 3}, {3}));
  b.op("Mul", {"x", w}, {}, "unused");
  auto y = b.op("Relu", {"x"}, {}, "relu");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  ir::Graph d = passes::eliminate_dead_code(g);
  EXPECT_EQ(d.nodes.size(), 1u);
  EXPECT_TRUE(d.initializers.empty());
}

}  // namespace
}  // namespace shrink
