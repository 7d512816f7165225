// fuse_matmul: MatMul + bias Add + residual Add + activation become one FusedMatMul whose fast
// kernels (oneDNN for few rows, the packed-B GEMM for many) and reference kernel agree with the unfused graph.
#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "graph_test_util.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::kernel_of;

using test_util::count_op;
using test_util::max_rel_diff;
using test_util::random_tensor;


// y = act(x @ W + bias + r); `product_reused` also makes x @ W a graph output (nothing may absorb it).
ir::Graph layer(int64_t rank, const std::string& act, bool product_reused = false) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  std::vector<ir::Dim> dims(size_t(rank), ir::Dim{-1, ""});
  dims.back() = {24};
  g.inputs.push_back({"x", DType::kFloat32, dims, ""});
  g.inputs.push_back({"r", DType::kFloat32, std::nullopt, ""});
  ir::GraphBuilder b(g);
  auto w = b.constant("w", random_tensor({24, 40}, 1));
  auto bias = b.constant("bias", random_tensor({40}, 2));
  auto product = b.op("MatMul", {"x", w}, {}, "mm");
  auto y = b.op("Add", {b.op("Add", {product, bias}, {}, "bias_add"), "r"}, {}, "res");
  if (act == "Relu") y = b.op("Relu", {y}, {}, "act");
  if (act == "Clip") {
    auto lo = b.constant("lo", Tensor::scalar<float>(-0.5f)), hi = b.constant("hi", Tensor::scalar<float>(0.7f));
    y = b.op("Clip", {y, lo, hi}, {}, "act");
  }
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  if (product_reused) g.outputs.push_back({product, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(FuseMatMul, FusesBiasResidualAndActivation) {
  ir::Graph g = passes::fuse_matmul(layer(2, "Relu"));
  EXPECT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(count_op(g, "FusedMatMul"), 1);
  ir::Graph kept = passes::fuse_matmul(layer(2, "Relu", true));
  EXPECT_EQ(count_op(kept, "FusedMatMul"), 1) << "a lone product with a constant weight, for the packed weight";
  EXPECT_EQ(count_op(kept, "Add"), 2) << "the product is read twice: nothing absorbed";
  EXPECT_EQ(count_op(kept, "Relu"), 1);
}

TEST(FuseMatMul, FastAndReferenceKernelsAgreeWithUnfusedGraph) {
  for (const std::string act : {"", "Relu", "Clip"}) {
    ir::Graph g = layer(3, act);
    runtime::Session ref(g, {.optimize = false, .reference_only = true});
    runtime::Session fast(g);
    runtime::Session fused_ref(passes::fuse_matmul(g), {.optimize = false, .reference_only = true});
    ASSERT_EQ(count_op(fast.graph(), "FusedMatMul"), 1);
    for (int64_t rows : {1, 5, 40}) {  // few rows: oneDNN; 16 or more: BLAS
      Tensor x = random_tensor({2, rows, 24}, uint64_t(rows)), r = random_tensor({2, rows, 40}, 7);
      Tensor want = ref.run({x, r})[0];
      EXPECT_LE(max_rel_diff(fast.run({x, r})[0], want), 1e-5) << act << " rows " << rows;
      EXPECT_EQ(kernel_of(fast, "FusedMatMul"), 2 * rows >= 16 ? "cpu:sgemm-packed" : "onednn:matmul");
      EXPECT_LE(max_rel_diff(fused_ref.run({x, r})[0], want), 1e-6) << act << " rows " << rows;
    }
  }
}

TEST(FuseMatMul, ResidualThatWidensTheResultBroadcasts) {
  ir::Graph g = layer(2, "Relu");
  runtime::Session ref(g, {.optimize = false, .reference_only = true}), fast(g);
  Tensor x = random_tensor({20, 24}, 3), r = random_tensor({3, 20, 40}, 4);
  Tensor want = ref.run({x, r})[0];
  ASSERT_EQ(want.shape(), (Shape{3, 20, 40}));
  EXPECT_LE(max_rel_diff(fast.run({x, r})[0], want), 1e-5);
  EXPECT_EQ(kernel_of(fast, "FusedMatMul"), "ref");
}

// y = Relu(Gemm(x, W, C)) with transB = 1 and beta 0.5, as PyTorch exports a Linear (+ ReLU).
ir::Graph gemm_layer(Shape c_shape) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {24}}, ""});
  ir::GraphBuilder b(g);
  auto w = b.constant("w", random_tensor({40, 24}, 1));
  auto c = b.constant("c", random_tensor(c_shape, 2));
  auto y = b.op("Gemm", {"x", w, c}, {{"transB", int64_t(1)}, {"beta", 0.5f}}, "gemm");
  g.outputs.push_back({b.op("Relu", {y}, {}, "relu"), DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(FuseMatMul, GemmWithConstantWeightBecomesFusedMatMul) {
  ir::Graph g = gemm_layer({40});
  ir::Graph f = passes::fuse_matmul(g);
  ASSERT_EQ(f.nodes.size(), 1u);
  EXPECT_EQ(f.nodes[0].op_type, "FusedMatMul");
  EXPECT_EQ(f.initializers.count("w"), 0u) << "the transposed copy replaces the weight";
  runtime::Session ref(g, {.optimize = false, .reference_only = true}), fast(g);
  for (int64_t rows : {1, 7, 64}) {
    Tensor x = random_tensor({rows, 24}, uint64_t(rows));
    EXPECT_LE(max_rel_diff(fast.run({x})[0], ref.run({x})[0]), 1e-5) << "rows " << rows;
    EXPECT_EQ(kernel_of(fast, "FusedMatMul"), rows >= 16 ? "cpu:sgemm-packed" : "onednn:matmul");
  }
  // A full [M, N] C is not a bias row: the Gemm stays.
  EXPECT_EQ(count_op(passes::fuse_matmul(gemm_layer({3, 40})), "FusedMatMul"), 0);
}

}  // namespace
}  // namespace shrink
