// The float32 Add / Sub / Mul / Div kernels (runtime/cpu/float_binary_kernels.cc): bit-identical to the reference kernels for equal
// shapes, a scalar on either side and trailing dims on either side (also with more leading 1s than
// the other operand has dims), with vector tails, on one and two threads; other broadcasts stay on
// the reference kernel.
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
    bool fast;
  };
  const Case cases[] = {
      {{3, 37}, {3, 37}, true},      {{70001}, {70001}, true},  // many chunks on two threads
      {{5, 7, 9}, {1}, true},         {{}, {4, 13}, true},       {{40, 100}, {100}, true},
      {{1, 1, 100}, {40, 100}, true}, {{6, 5}, {2, 6, 5}, true}, {{1, 1, 1, 1}, {7}, true},
      {{3, 1}, {3, 5}, false},        {{2, 1, 5}, {3, 5}, false},
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
        const std::string kernel = fast.kernel_names()[0].second;
        EXPECT_EQ(kernel != "ref", c.fast) << op << " " << shape_str(c.a) << " " << shape_str(c.b) << ": " << kernel;
      }
  }
}

}  // namespace
}  // namespace shrink
