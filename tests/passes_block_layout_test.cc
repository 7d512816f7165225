// block_layout: channel-blocked regions across convolutions, pools, elementwise ops and Concat give
// the same outputs as the plain graph (fast kernels and the blocked ops' reference kernels), with
// layout changes only at region borders.
#include <gtest/gtest.h>

#include <map>

#include "ir/builder.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "graph_test_util.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::count_op;
using test_util::max_rel_diff;
using test_util::random_tensor;


// x[N,3,12,12] -> conv 3->16 (+relu) -> depthwise conv + residual -> maxpool -> two 1x1 branches
// (16->8, clip; 16->24, sigmoid * 0.5) -> concat -> avgpool -> global average pool; the first relu
// is also a graph output, and a plain Transpose reads a blocked value.
ir::Graph mixed_graph() {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {3}, {12}, {12}}, ""});
  ir::GraphBuilder b(g);
  auto conv = [&](const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t group, const std::string& name) {
    auto w = b.constant(name + ".w", random_tensor({cout, cin / group, k, k}, cout * 7 + k, 0.5f));
    auto bias = b.constant(name + ".b", random_tensor({cout}, cout * 3 + 1, 0.1f));
    const int64_t p = k / 2;
    return b.op("Conv", {x, w, bias}, {{"pads", std::vector<int64_t>{p, p, p, p}}, {"group", group}}, name);
  };
  auto r1 = b.op("Relu", {conv("x", 3, 16, 3, 1, "c1")}, {}, "r1");
  auto dw = conv(r1, 16, 16, 3, 16, "dw");
  auto sum = b.op("Add", {dw, r1}, {}, "res");
  auto mp = b.op("MaxPool", {sum}, {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}, "mp");
  auto lo = b.constant("lo", Tensor::scalar<float>(0.f));
  auto hi = b.constant("hi", Tensor::scalar<float>(6.f));
  auto a = b.op("Clip", {conv(mp, 16, 8, 1, 1, "pa"), lo, hi}, {}, "clip");
  auto half = b.constant("half", Tensor::scalar<float>(0.5f));
  auto s = b.op("Mul", {b.op("Sigmoid", {conv(mp, 16, 24, 1, 1, "pb")}, {}, "sig"), half}, {}, "scale");
  auto cat = b.op("Concat", {a, s}, {{"axis", int64_t(1)}}, "cat");
  auto ap = b.op("AveragePool", {cat}, {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}, "ap");
  auto gap = b.op("GlobalAveragePool", {ap}, {}, "gap");
  auto tr = b.op("Transpose", {mp}, {{"perm", std::vector<int64_t>{0, 2, 3, 1}}}, "tr");
  for (const auto& o : {gap, r1, tr}) g.outputs.push_back({o, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(BlockLayout, PlacesReordersOnlyAtRegionBorders) {
  ir::Graph g = passes::block_layout(passes::optimize_for_runtime(mixed_graph()), 8);
  EXPECT_EQ(count_op(g, "BlockedFusedConv"), 4);
  EXPECT_EQ(count_op(g, "BlockedMaxPool"), 1);
  EXPECT_EQ(count_op(g, "BlockedAveragePool"), 1);
  EXPECT_EQ(count_op(g, "ToBlocked"), 0);  // the 3-channel image goes into the first conv plain
  // Plain readers: the graph output r1, Transpose, GlobalAveragePool.
  EXPECT_EQ(count_op(g, "FromBlocked"), 3);
}

TEST(BlockLayout, SameOutputsAsPlainGraphOnFastAndReferenceKernels) {
  ir::Graph g = mixed_graph();
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  runtime::Session fast(g);
  ASSERT_GT(count_op(fast.graph(), "BlockedFusedConv"), 0);
  // The blocked graph on reference kernels: the blocked ops' own reference computes.
  runtime::Session blocked_ref(passes::block_layout(passes::optimize_for_runtime(g), 8),
                               {.optimize = false, .reference_only = true});
  for (int64_t n : {1, 3, 2}) {
    Tensor x = random_tensor({n, 3, 12, 12}, uint64_t(n));
    auto want = ref.run({x});
    auto got = fast.run({x});
    auto got_ref = blocked_ref.run({x});
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_LE(max_rel_diff(got[i], want[i]), 1e-5) << "output " << i << " batch " << n;
      EXPECT_LE(max_rel_diff(got_ref[i], want[i]), 1e-5) << "output " << i << " batch " << n;
    }
  }
  // Every blocked op runs on its oneDNN kernel (none fell back to the reference).
  const std::map<std::string, std::string> expected = {
      {"FromBlocked", "onednn:reorder"}, {"ToBlocked", "onednn:reorder"}, {"BlockedFusedConv", "onednn:conv"},
      {"BlockedMaxPool", "onednn:pool"}, {"BlockedAveragePool", "onednn:pool"}};
  const auto kernels = fast.kernel_names();
  for (size_t i = 0; i < kernels.size(); ++i) {
    auto it = expected.find(fast.graph().nodes[i].op_type);
    if (it != expected.end()) {
      EXPECT_EQ(kernels[i].second, it->second) << kernels[i].first;
    }
  }
}

TEST(BlockLayout, SixteenChannelBlocksAlsoAgree) {
  ir::Graph g = mixed_graph();
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  ir::Graph b16 = passes::block_layout(passes::optimize_for_runtime(g), 16);
  EXPECT_EQ(count_op(b16, "BlockedFusedConv"), 2);  // the 8- and 24-channel branches stay plain
  runtime::Session fast(b16, {.optimize = false});
  Tensor x = random_tensor({2, 3, 12, 12}, 5);
  auto want = ref.run({x}), got = fast.run({x});
  for (size_t i = 0; i < want.size(); ++i) EXPECT_LE(max_rel_diff(got[i], want[i]), 1e-5) << "output " << i;
}

TEST(BlockLayout, LeavesChannelCountsOffTheBlockPlain) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{1}, {4}, {6}, {6}}, ""});
  ir::GraphBuilder b(g);
  auto w = b.constant("w", random_tensor({12, 4, 3, 3}, 1));
  auto y = b.op("Relu", {b.op("Conv", {"x", w}, {}, "conv")}, {}, "relu");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  ir::Graph out = passes::block_layout(g, 8);
  EXPECT_EQ(count_op(out, "BlockedFusedConv"), 0);
  EXPECT_EQ(count_op(out, "FromBlocked") + count_op(out, "ToBlocked"), 0);
}

TEST(BlockLayout, RefusesMalformedBlockedTensors) {
  ir::Node n;
  n.name = "fb";
  n.op_type = "FromBlocked";
  n.domain = "com.shrink";
  n.inputs = {"x"};
  n.outputs = {"y"};
  ops::bind(n, 17);
  EXPECT_THROW(ops::run_reference(n, std::vector<Tensor>{Tensor(DType::kFloat32, {1, 8, 2, 2})}), Error);
  n.op_type = "ToBlocked";
  n.attrs["block"] = int64_t(8);
  ops::bind(n, 17);
  EXPECT_THROW(ops::run_reference(n, std::vector<Tensor>{Tensor(DType::kFloat32, {1, 12, 2, 2})}), Error);
}

}  // namespace
}  // namespace shrink
