// Fast kernels against the reference kernels (the oracle), on random and awkward shapes under a
// fixed seed. Each case builds a one- or few-node graph, runs it with the fast kernels and with
// --reference kernels, and compares with a named tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

constexpr double kFp32Tolerance = 2e-5;  // relative to max |reference|, fp32 accumulation order

Tensor random(Rng& rng, Shape s) {
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(-1.f, 1.f);
  return t;
}

ir::ValueInfo input_info(const std::string& name, const Shape& s) {
  std::vector<ir::Dim> dims;
  for (int64_t d : s) dims.push_back({d, ""});
  return {name, DType::kFloat32, dims, ""};
}

// Runs g on inputs with fast and reference kernels; returns max abs diff relative to max |ref|,
// and fills `kernel` with the first node's fast kernel name.
double compare(const ir::Graph& g, const std::vector<Tensor>& inputs, std::string* kernel = nullptr) {
  runtime::Session fast(g), ref(g, {.optimize = false, .reference_only = true});
  auto a = fast.run(inputs), b = ref.run(inputs);
  if (kernel) *kernel = fast.kernel_names().at(0).second;
  double diff = 0, scale = 1e-30;
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].shape(), b[k].shape());
    for (int64_t i = 0; i < b[k].numel(); ++i) {
      diff = std::max(diff, std::fabs(a[k].as_double(i) - b[k].as_double(i)));
      scale = std::max(scale, std::fabs(b[k].as_double(i)));
    }
  }
  return diff / scale;
}

struct MatMulCase {
  Shape a, b;
  bool const_b;
};

class MatMulKernel : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(MatMulKernel, MatchesReference) {
  const auto& c = GetParam();
  Rng rng(7);
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back(input_info("a", c.a));
  std::vector<Tensor> inputs{random(rng, c.a)};
  ir::GraphBuilder b(g);
  std::string bname = "b";
  if (c.const_b) bname = b.constant("b", random(rng, c.b));
  else {
    g.inputs.push_back(input_info("b", c.b));
    inputs.push_back(random(rng, c.b));
  }
  std::string y = b.op("MatMul", {"a", bname}, {}, "mm");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  std::string kernel;
  EXPECT_LE(compare(g, inputs, &kernel), kFp32Tolerance);
  EXPECT_EQ(kernel, "onednn:matmul");
}

INSTANTIATE_TEST_SUITE_P(Shapes, MatMulKernel,
                         ::testing::Values(MatMulCase{{1, 7}, {7, 13}, true}, MatMulCase{{13, 127}, {127, 1}, true},
                                           MatMulCase{{2, 3, 7, 13}, {13, 5}, true},
                                           MatMulCase{{64, 784}, {784, 1024}, true},
                                           MatMulCase{{7}, {7, 13}, true}, MatMulCase{{5, 7}, {7}, false},
                                           MatMulCase{{2, 4, 7, 13}, {2, 4, 13, 5}, false},
                                           MatMulCase{{2, 1, 7, 13}, {1, 3, 13, 5}, false},
                                           MatMulCase{{3, 7, 13}, {13, 127}, false}));

}  // namespace
}  // namespace shrink
