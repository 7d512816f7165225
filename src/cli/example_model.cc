// Builds the example CNN with deterministic (seeded) weights and non-trivial BatchNorm statistics.
#include "cli/example_model.h"

#include <cmath>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"

namespace shrink::cli {
namespace {

Tensor random_tensor(Rng& rng, Shape shape, float scale, float offset = 0.f) {
  Tensor t(DType::kFloat32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = offset + scale * float(rng.normal());
  return t;
}

Tensor uniform_tensor(Rng& rng, Shape shape, float lo, float hi) {
  Tensor t(DType::kFloat32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(lo, hi);
  return t;
}

std::string conv_bn_relu(ir::GraphBuilder& b, Rng& rng, const std::string& x, int64_t cin, int64_t cout,
                         const std::string& name) {
  float he = std::sqrt(2.f / float(cin * 9));
  auto w = b.constant(name + ".weight", random_tensor(rng, {cout, cin, 3, 3}, he));
  auto y = b.op("Conv", {x, w}, {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                name);
  auto scale = b.constant(name + ".bn.weight", uniform_tensor(rng, {cout}, 0.5f, 1.5f));
  auto bias = b.constant(name + ".bn.bias", uniform_tensor(rng, {cout}, -0.2f, 0.2f));
  auto mean = b.constant(name + ".bn.running_mean", uniform_tensor(rng, {cout}, -0.3f, 0.3f));
  auto var = b.constant(name + ".bn.running_var", uniform_tensor(rng, {cout}, 0.5f, 2.0f));
  y = b.op("BatchNormalization", {y, scale, bias, mean, var}, {{"epsilon", 1e-5f}}, name + ".bn");
  return b.op("Relu", {y}, {}, name + ".relu");
}

}  // namespace

ir::Graph example_cnn(uint64_t seed) {
  ir::Graph g;
  g.name = "shrink_example_cnn";
  g.opsets = {{"", 17}};
  g.meta.producer_name = "shrink";
  g.inputs.push_back({"input", DType::kFloat32, std::vector<ir::Dim>{{-1, "batch"}, {3, ""}, {32, ""}, {32, ""}}, ""});
  Rng rng(seed);
  ir::GraphBuilder b(g);
  std::string x = conv_bn_relu(b, rng, "input", 3, 32, "conv1");
  x = b.op("MaxPool", {x}, {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}, "pool1");
  x = conv_bn_relu(b, rng, x, 32, 64, "conv2");
  x = b.op("MaxPool", {x}, {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}, "pool2");
  x = conv_bn_relu(b, rng, x, 64, 128, "conv3");
  x = b.op("GlobalAveragePool", {x}, {}, "gap");
  x = b.op("Flatten", {x}, {}, "flatten");
  auto w = b.constant("fc.weight", random_tensor(rng, {10, 128}, std::sqrt(1.f / 128)));
  auto bias = b.constant("fc.bias", random_tensor(rng, {10}, 0.01f));
  x = b.op("Gemm", {x, w, bias}, {{"transB", int64_t(1)}}, "fc");
  g.nodes.back().outputs[0] = "logits";
  g.outputs.push_back({"logits", DType::kFloat32, std::vector<ir::Dim>{{-1, "batch"}, {10, ""}}, ""});
  ops::bind_all(g);
  return g;
}

}  // namespace shrink::cli
