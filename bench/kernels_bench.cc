// Micro-benchmarks of kernel backends on one op (Google Benchmark): the same MatMul and Conv run with
// the default kernel list, with BLAS skipped (oneDNN), and on the reference kernels.
// Build: cmake -DSHRINK_BENCH=ON ...; run: build/bench/kernels_bench [--benchmark_filter=MatMul]
#include <benchmark/benchmark.h>

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

void Conv3x3_64ch_56x56(benchmark::State& state) {
  auto g = one_op("Conv", {1, 64, 56, 56}, {64, 64, 3, 3}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  runtime::SessionOptions opt;
  if (state.range(0) == 2) opt.reference_only = true;
  run_session(state, g, {1, 64, 56, 56}, opt);
}
BENCHMARK(Conv3x3_64ch_56x56)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shrink

BENCHMARK_MAIN();
