// cpu:transpose (runtime/cpu/transpose_kernel.cc) against the reference Transpose, bit for bit, on
// every permutation of rank 2-4 shapes with and without size-1 axes, element sizes 1, 2, 4 and 8,
// 1 and 2 threads; the kernel's three paths (a view when only size-1 axes move, whole runs when the
// innermost axis stays, tiles otherwise) are each taken where expected (oneDNN's reorder keeps the
// NCHW <-> NHWC layout changes).
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::value_info;

Tensor random_bytes(DType t, const Shape& s, uint64_t seed) {
  Tensor x(t, s);
  Rng rng(seed);
  auto* p = static_cast<uint8_t*>(x.raw());
  for (size_t i = 0; i < x.nbytes(); ++i) p[i] = uint8_t(rng.below(256));
  if (t == DType::kFloat32)  // no NaN payloads to worry about in comparisons: finite floats
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = float(int(rng.below(2001)) - 1000) * 0.25f;
  return x;
}

// Runs Transpose(perm) with the fast kernels (1 and 2 threads) and the reference; returns the
// kernel chosen.
std::string check(const Shape& shape, const std::vector<int64_t>& perm, DType t) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back(value_info("x", t, shape));
  auto y = b.op("Transpose", {"x"}, {{"perm", perm}}, "t");
  g.outputs.push_back({y, t, std::nullopt, ""});
  ops::bind_all(g);
  const Tensor x = random_bytes(t, shape, uint64_t(shape.size() * 1000 + perm[0]));
  runtime::Session ref(g, {.optimize = false, .reference_only = true});
  const Tensor want = ref.run({x})[0];
  std::string kernel;
  for (int threads : {1, 2}) {
    runtime::Session fast(g, {.threads = threads, .optimize = false});
    const Tensor got = fast.run({x})[0];
    kernel = fast.kernel_names().at(0).second;
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_TRUE(got.bit_equal(want)) << "threads " << threads << " kernel " << kernel;
  }
  return kernel;
}

TEST(TransposeKernel, EveryPermutationBitIdenticalToReference) {
  const std::vector<Shape> shapes = {{37, 53},        {1, 70},          {128, 4, 64},   {3, 1, 17},
                                     {5, 7, 1, 33},   {2, 3, 19, 21},   {1, 128, 256},  {16, 1, 16, 2}};
  for (const Shape& s : shapes)
    for (DType t : {DType::kFloat32, DType::kUInt8, DType::kFloat16, DType::kInt64}) {
      std::vector<int64_t> perm(s.size());
      std::iota(perm.begin(), perm.end(), 0);
      do {
        SCOPED_TRACE(shape_str(s) + " perm " + shape_str(perm) + " " + std::string(dtype_name(t)));
        const std::string k = check(s, perm, t);
        // oneDNN keeps the 4-D NCHW <-> NHWC layout changes of its types.
        const bool layout = s.size() == 4 && (perm == std::vector<int64_t>{0, 2, 3, 1} ||
                                              perm == std::vector<int64_t>{0, 3, 1, 2});
        EXPECT_TRUE(k == "cpu:transpose" || k == "view" || (layout && k == "onednn:reorder")) << k;
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
}

TEST(TransposeKernel, PathsTakenWhereExpected) {
  // Only the size-1 axis moves: the output is a view of the input.
  EXPECT_EQ(check({128, 1, 256}, {1, 0, 2}, DType::kFloat32), "view");
  EXPECT_EQ(check({1, 128, 256}, {1, 0, 2}, DType::kFloat32), "view");
  // Attention's head split (innermost axis kept) and K^T (tiles).
  EXPECT_EQ(check({128, 4, 64}, {1, 0, 2}, DType::kFloat32), "cpu:transpose");
  EXPECT_EQ(check({128, 4, 64}, {1, 2, 0}, DType::kFloat32), "cpu:transpose");
}

}  // namespace
}  // namespace shrink
