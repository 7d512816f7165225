// Micro-benchmarks of kernel backends on one op (Google Benchmark): the same MatMul and Conv run with
// the default kernel list, with BLAS skipped (oneDNN), and on the reference kernels; and the
// training kernels (every tensor a graph input, as the training graph feeds them): a ResNet-ish
// 3x3 conv forward / backward-data / backward-weights, batch norm, pooling and layer norm gradients.
// Build: cmake -DSHRINK_BENCH=ON ...; run: build/bench/kernels_bench [--benchmark_filter=MatMul]
#include <benchmark/benchmark.h>

#include <algorithm>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"
#include "runtime/session.h"

namespace shrink {
namespace {

Tensor random(Rng& rng, Shape s) {
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(-1.f, 1.f);
  return t;
}

// x [shape] -> op(x, W) with W a constant.
ir::Graph one_op(const std::string& op, const Shape& x, const Shape& w, ir::AttributeMap attrs) {
  Rng rng(1);
  ir::Graph g;
  g.opsets = {{"", 17}};
  std::vector<ir::Dim> dims;
  for (int64_t d : x) dims.push_back({d, ""});
  g.inputs.push_back({"x", DType::kFloat32, dims, ""});
  ir::GraphBuilder b(g);
  auto wn = b.constant("w", random(rng, w));
  auto y = b.op(op, {"x", wn}, std::move(attrs), "node");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

void run_session(benchmark::State& state, const ir::Graph& g, const Shape& x, runtime::SessionOptions opt) {
  Rng rng(2);
  std::vector<Tensor> in{random(rng, x)};
  runtime::Session s(g, std::move(opt));
  s.run(in);
  for (auto _ : state) benchmark::DoNotOptimize(s.run(in));
  state.SetLabel(s.kernel_names().at(0).second);
}

void MatMul_128x256x1024(benchmark::State& state) {
  auto g = one_op("MatMul", {128, 256}, {256, 1024}, {});
  runtime::SessionOptions opt;
  if (state.range(0) == 1) opt.skip_backends = {"blas"};
  if (state.range(0) == 2) opt.reference_only = true;
  run_session(state, g, {128, 256}, opt);
}
BENCHMARK(MatMul_128x256x1024)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The Transformer's and the batched MLP's products with constant weights (fused into FusedMatMul):
// Arg(0) the default kernels (cpu:sgemm-packed), Arg(1) without the cpu backend (OpenBLAS sgemm).
void FusedMatMul_shapes(benchmark::State& state) {
  const int64_t m = state.range(1), k = state.range(2), n = state.range(3);
  auto g = one_op("MatMul", {m, k}, {k, n}, {});
  runtime::SessionOptions opt;
  if (state.range(0) == 1) opt.skip_backends = {"cpu"};
  run_session(state, g, {m, k}, opt);
  state.SetItemsProcessed(state.iterations() * 2 * m * k * n);  // flops: items/s = FLOP/s
}
BENCHMARK(FusedMatMul_shapes)
    ->ArgsProduct({{0, 1}, {128}, {256}, {256, 1024}})
    ->Args({0, 128, 1024, 256})
    ->Args({1, 128, 1024, 256})
    ->Args({0, 64, 784, 512})
    ->Args({1, 64, 784, 512})
    ->Unit(benchmark::kMillisecond);

void Conv3x3_64ch_56x56(benchmark::State& state) {
  auto g = one_op("Conv", {1, 64, 56, 56}, {64, 64, 3, 3}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  runtime::SessionOptions opt;
  if (state.range(0) == 2) opt.reference_only = true;
  run_session(state, g, {1, 64, 56, 56}, opt);
}
BENCHMARK(Conv3x3_64ch_56x56)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

// An int8 depthwise 3x3 convolution as the channels-last int8 runtime runs it: com.shrink
// NhwcQConv on u8 NHWC x, 7-bit per-channel weights, Clip(0, 6) and u8 output (MobileNetV2's).
// Args: backend (0 = default kernels, 1 = cpu backend skipped: oneDNN), channels, size, stride.
void QConvDepthwise3x3(benchmark::State& state) {
  const int64_t c = state.range(1), size = state.range(2), stride = state.range(3);
  Rng rng(4);
  ir::Graph g;
  g.opsets = {{"", 17}, {"com.shrink", 1}};
  g.inputs.push_back({"x", DType::kUInt8, std::vector<ir::Dim>{{1}, {size}, {size}, {c}}, ""});
  ir::GraphBuilder b(g);
  Tensor w(DType::kInt8, {c, 1, 3, 3}), ws(DType::kFloat32, {c}), bias(DType::kFloat32, {c});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = int8_t(int(rng.below(127)) - 63);
  for (int64_t i = 0; i < c; ++i) ws.data<float>()[i] = rng.uniform(0.002f, 0.01f), bias.data<float>()[i] = rng.uniform(-1.f, 1.f);
  auto y = b.node("NhwcQConv",
                  {"x", b.constant("xs", Tensor::scalar<float>(0.03f)), b.constant("xz", Tensor::scalar<uint8_t>(0)),
                   b.constant("w", w), b.constant("ws", ws), b.constant("wz", Tensor(DType::kInt8, {c})),
                   b.constant("b", bias), b.constant("ys", Tensor::scalar<float>(6.f / 255)),
                   b.constant("yz", Tensor::scalar<uint8_t>(0))},
                  {{"group", c}, {"strides", std::vector<int64_t>{stride, stride}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                   {"activation", std::string("Clip")}, {"alpha", 0.f}, {"beta", 6.f}},
                  "node", 1, "com.shrink")[0];
  g.outputs.push_back({y, DType::kUInt8, std::nullopt, ""});
  ops::bind_all(g);
  runtime::SessionOptions opt{.threads = 1, .optimize = false};
  if (state.range(0) == 1) opt.skip_backends = {"cpu"};
  Tensor x(DType::kUInt8, {1, size, size, c});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = uint8_t(rng.below(256));
  runtime::Session s(g, std::move(opt));
  s.run({x});
  for (auto _ : state) benchmark::DoNotOptimize(s.run({x}));
  state.SetLabel(s.kernel_names().at(0).second);
}
BENCHMARK(QConvDepthwise3x3)
    ->ArgsProduct({{0, 1}, {32}, {112}, {1}})
    ->ArgsProduct({{0, 1}, {144}, {56}, {1, 2}})
    ->ArgsProduct({{0, 1}, {960}, {7}, {1}})
    ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
    ->Unit(benchmark::kMicrosecond);

// One node whose inputs are all graph inputs; arg 0 = default kernels, 2 = reference kernels.
void run_train_op(benchmark::State& state, const std::string& op, const std::string& domain,
                  const std::vector<Shape>& inputs, ir::AttributeMap attrs, int n_outputs, int64_t opset = 17) {
  Rng rng(3);
  ir::Graph g;
  g.opsets = {{"", opset}};
  std::vector<std::string> names;
  std::vector<Tensor> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<ir::Dim> dims;
    for (int64_t d : inputs[i]) dims.push_back({d, ""});
    names.push_back("in" + std::to_string(i));
    g.inputs.push_back({names.back(), DType::kFloat32, dims, ""});
    in.push_back(random(rng, inputs[i]));
  }
  ir::GraphBuilder b(g);
  for (const auto& y : b.node(op, names, std::move(attrs), "node", n_outputs, domain))
    g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  runtime::SessionOptions opt;
  if (state.range(0) == 2) opt.reference_only = true;
  runtime::Session s(g, std::move(opt));
  s.run(in);
  for (auto _ : state) benchmark::DoNotOptimize(s.run(in));
  state.SetLabel(s.kernel_names().at(0).second);
}

const ir::AttributeMap kPad1{{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
const Shape kX{64, 64, 32, 32}, kW{64, 64, 3, 3};

void Train_Conv3x3_64ch_32x32_b64_fwd(benchmark::State& state) {
  run_train_op(state, "Conv", "", {kX, kW, {64}}, kPad1, 1);
}
void Train_Conv3x3_64ch_32x32_b64_bwd_data(benchmark::State& state) {
  run_train_op(state, "ConvGradInput", "com.shrink", {kX, kW, kX}, kPad1, 1);
}
void Train_Conv3x3_64ch_32x32_b64_bwd_weights(benchmark::State& state) {
  run_train_op(state, "ConvGradWeight", "com.shrink", {kX, kX, kW}, kPad1, 2);
}
void Train_BatchNorm_64ch_32x32_b64_fwd(benchmark::State& state) {
  run_train_op(state, "BatchNormalization", "", {kX, {64}, {64}, {64}, {64}}, {{"training_mode", int64_t(1)}}, 3, 15);
}
void Train_BatchNorm_64ch_32x32_b64_bwd(benchmark::State& state) {
  run_train_op(state, "BatchNormTrainGrad", "com.shrink", {kX, kX, {64}}, {}, 3);
}
void Train_MaxPool3x3s2_64ch_32x32_b64_bwd(benchmark::State& state) {
  run_train_op(state, "MaxPoolGrad", "com.shrink", {{64, 64, 16, 16}, kX},
               {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}},
                {"pads", std::vector<int64_t>{1, 1, 1, 1}}}, 1);
}
void Train_AvgPool2x2_64ch_32x32_b64_bwd(benchmark::State& state) {
  run_train_op(state, "AveragePoolGrad", "com.shrink", {{64, 64, 16, 16}, kX},
               {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}, 1);
}
void Train_LayerNorm_4096x768_bwd(benchmark::State& state) {
  run_train_op(state, "LayerNormGrad", "com.shrink", {{4096, 768}, {4096, 768}, {768}}, {}, 3);
}

BENCHMARK(Train_Conv3x3_64ch_32x32_b64_fwd)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_Conv3x3_64ch_32x32_b64_bwd_data)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_Conv3x3_64ch_32x32_b64_bwd_weights)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_BatchNorm_64ch_32x32_b64_fwd)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_BatchNorm_64ch_32x32_b64_bwd)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_MaxPool3x3s2_64ch_32x32_b64_bwd)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_AvgPool2x2_64ch_32x32_b64_bwd)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(Train_LayerNorm_4096x768_bwd)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shrink

BENCHMARK_MAIN();
