// cpu:binary (Add / Sub / Mul / Div on float32): bit-identical to the reference kernels for equal
// shapes, a scalar on either side and a row on either side, with vector tails, on one and two
// threads; other broadcasts stay on the reference kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "graph_test_util.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::random_tensor;

ir::Graph binary(const std::string& op) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back({"a", DType::kFloat32, std::nullopt, ""});
  g.inputs.push_back({"b", DType::kFloat32, std::nullopt, ""});
  ir::GraphBuilder b(g);
  g.outputs.push_back({b.op(op, {"a", "b"}, {}, "node"), DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(BinaryKernels, BitIdenticalToReferenceOnEveryForm) {
  struct Case {
    Shape a, b;
    const char* kernel;
  };
  const Case cases[] = {
      {{3, 37}, {3, 37}, "cpu:binary"},      {{70001}, {70001}, "cpu:binary"},  // many chunks on two threads
      {{5, 7, 9}, {1}, "cpu:binary"},         {{}, {4, 13}, "cpu:binary"},       {{40, 100}, {100}, "cpu:binary"},
      {{1, 1, 100}, {40, 100}, "cpu:binary"}, {{3, 1}, {3, 5}, "ref"},          {{2, 1, 5}, {3, 5}, "ref"},
  };
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    const ir::Graph g = binary(op);
    for (const Case& c : cases)
      for (int threads : {1, 2}) {
        Tensor a = random_tensor(c.a, 1, 3.f), b = random_tensor(c.b, 2, 3.f);
        if (b.numel() > 3) b.data<float>()[3] = 0.f;  // x / 0, 0 / 0
        if (a.numel() > 3) a.data<float>()[3] = 0.f;
        runtime::Session fast(g, {.threads = threads}), ref(g, {.optimize = false, .reference_only = true});
        Tensor y = fast.run({a, b})[0], want = ref.run({a, b})[0];
        ASSERT_EQ(y.shape(), want.shape());
        EXPECT_EQ(std::memcmp(y.raw(), want.raw(), size_t(want.numel()) * sizeof(float)), 0)
            << op << " " << shape_str(c.a) << " " << shape_str(c.b) << " threads " << threads;
        EXPECT_EQ(fast.kernel_names()[0].second, c.kernel) << op << " " << shape_str(c.a) << " " << shape_str(c.b);
      }
  }
}

}  // namespace
}  // namespace shrink
