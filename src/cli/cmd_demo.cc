// `shrink demo`: the main job on the built-in default. For now (foundation): write the built-in
// example CNN as ONNX, load it back, run it, and benchmark it on 1 and 2 threads.
#include <sys/stat.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/example_model.h"
#include "cli/latency.h"
#include "core/rng.h"
#include "onnx/model_io.h"
#include "runtime/session.h"

namespace shrink::cli {
namespace {

struct DemoArgs {
  std::string out_dir = "shrink-demo";
  int iters = 30;
};

int demo(const DemoArgs& a) {
  struct stat st {};
  if (::stat(a.out_dir.c_str(), &st) != 0) SHRINK_CHECK(::mkdir(a.out_dir.c_str(), 0755) == 0, "cannot create '", a.out_dir, "'");
  std::string path = a.out_dir + "/example_cnn.onnx";
  onnx_io::save_model(example_cnn(0), path);
  ir::Graph g = onnx_io::load_model(path);
  uint64_t params = 0;
  for (const auto& [n, t] : g.initializers) params += uint64_t(t.numel());
  std::printf("shrink demo: built-in example CNN (3x32x32 -> 10 classes), %zu nodes, %llu parameters\n",
              g.nodes.size(), (unsigned long long)params);
  std::printf("  model written to %s\n\n", path.c_str());
  Rng rng(1);
  Tensor x(DType::kFloat32, {1, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = rng.uniform(-1.f, 1.f);
  {
    runtime::Session s(g, {.threads = 1});
    Tensor y = s.run({x})[0];
    std::printf("  logits for a seeded random image:");
    for (int64_t i = 0; i < y.numel(); ++i) std::printf(" %.4f", y.data<float>()[i]);
    std::printf("\n\n");
  }
  std::printf("  %-8s %-8s %12s %12s %14s\n", "threads", "batch", "median ms", "p90 ms", "samples/s");
  for (int threads : {1, 2})
    for (int64_t batch : {1, 32}) {
      Tensor xb(DType::kFloat32, {batch, 3, 32, 32});
      for (int64_t i = 0; i < xb.numel(); ++i) xb.data<float>()[i] = rng.uniform(-1.f, 1.f);
      runtime::Session s(g, {.threads = threads});
      LatencyStats l = measure_latency(s, {xb}, 3, a.iters, batch);
      std::printf("  %-8d %-8lld %12.3f %12.3f %14.1f\n", threads, (long long)batch, l.median_ms, l.p90_ms,
                  l.throughput);
    }
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Run the main job on the built-in example model");
  cmd->add_option("--out-dir", a->out_dir, "Folder for the files the demo writes");
  cmd->add_option("--iters", a->iters, "Timed runs per benchmark row")->check(CLI::Range(1, 100000));
  cmd->callback([&action, a] { action = [a] { return demo(*a); }; });
}

}  // namespace shrink::cli
