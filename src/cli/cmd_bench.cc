// `shrink bench`: latency and throughput of a model on seeded random inputs.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/profile_report.h"
#include "cli/latency.h"
#include "core/rng.h"
#include "onnx/model_io.h"
#include "runtime/session.h"

namespace shrink::cli {
namespace {

struct BenchArgs {
  std::string model;
  int threads = 1;
  int64_t batch = 1;
  int warmup = 5;
  int iters = 50;
  std::vector<std::string> shapes;  // name=1x3x224x224
  bool json = false;
  bool profile = false;
  bool reference = false;
};

Shape parse_dims(const std::string& s, const std::string& what) {
  Shape shape;
  size_t i = 0;
  while (i <= s.size()) {
    size_t x = s.find('x', i);
    std::string part = s.substr(i, x == std::string::npos ? std::string::npos : x - i);
    SHRINK_CHECK(!part.empty() && part.find_first_not_of("0123456789") == std::string::npos && part.size() < 12,
                 what, ": bad shape '", s, "' (expected like 1x3x224x224)");
    shape.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    i = x + 1;
  }
  return shape;
}

Tensor random_input(const ir::ValueInfo& info, const BenchArgs& a, Rng& rng) {
  Shape shape;
  for (const auto& s : a.shapes) {
    size_t eq = s.find('=');
    SHRINK_CHECK(eq != std::string::npos, "--shape '", s, "' must be NAME=DIMS");
    if (s.substr(0, eq) == info.name) shape = parse_dims(s.substr(eq + 1), "--shape");
  }
  if (shape.empty()) {
    SHRINK_CHECK(info.dims.has_value(), "input '", info.name, "' has no declared shape: give --shape ", info.name,
                 "=DIMS");
    for (size_t i = 0; i < info.dims->size(); ++i) {
      const auto& d = (*info.dims)[i];
      if (d.fixed()) shape.push_back(i == 0 && !d.param.empty() ? a.batch : d.value);
      else {
        SHRINK_CHECK(i == 0, "input '", info.name, "' dim ", i, " is symbolic ('", d.param, "'): give --shape ",
                     info.name, "=DIMS");
        shape.push_back(a.batch);
      }
    }
  }
  Tensor t(info.dtype == DType::kUndefined ? DType::kFloat32 : info.dtype, shape);
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) p[i] = rng.below(2);
      else if constexpr (std::is_floating_point_v<compute_t<T>>) p[i] = T(rng.uniform(-1.f, 1.f));
      else p[i] = T(rng.below(2));
    }
  });
  return t;
}

int bench(const BenchArgs& a) {
  ir::Graph g = onnx_io::load_model(a.model);
  Rng rng(42);
  std::vector<Tensor> inputs;
  for (const auto& in : g.inputs) inputs.push_back(random_input(in, a, rng));
  runtime::Session session(std::move(g), {.threads = a.threads, .reference_only = a.reference, .profile = a.profile});
  int64_t batch = inputs.empty() || inputs[0].rank() == 0 ? 1 : inputs[0].dim(0);
  LatencyStats st = measure_latency(session, inputs, a.warmup, a.iters, batch);
  double median = st.median_ms, p90 = st.p90_ms, min = st.min_ms, throughput = st.throughput;
  if (a.json) {
    nlohmann::json j{{"model", a.model}, {"threads", a.threads}, {"batch", batch}, {"iters", a.iters},
                     {"median_ms", median}, {"p90_ms", p90}, {"min_ms", min}, {"throughput", throughput}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: threads %d, batch %lld, %d iters\n", a.model.c_str(), a.threads, (long long)batch, a.iters);
    std::printf("  median %.3f ms   p90 %.3f ms   min %.3f ms   throughput %.1f samples/s\n", median, p90, min,
                throughput);
  }
  if (a.profile) print_profile(session, a.warmup + a.iters);
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure latency and throughput on seeded random inputs");
  cmd->add_option("model", a->model, "ONNX model file")->required();
  cmd->add_option("--threads", a->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->add_option("--batch", a->batch, "Batch size for a symbolic first dim")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--warmup", a->warmup, "Untimed runs first")->check(CLI::Range(0, 1000000));
  cmd->add_option("--iters", a->iters, "Timed runs")->check(CLI::Range(1, 1000000));
  cmd->add_option("--shape", a->shapes, "Input shape NAME=DxDx... (for symbolic dims)");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->add_flag("--profile", a->profile, "Print time per op type and kernel");
  cmd->add_flag("--reference", a->reference, "Use the reference kernels only");
  cmd->callback([&action, a] { action = [a] { return bench(*a); }; });
}

}  // namespace shrink::cli
