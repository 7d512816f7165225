// Latency measurement with a steady clock.
#include "cli/latency.h"

#include <algorithm>
#include <chrono>

namespace shrink::cli {

LatencyStats measure_latency(runtime::Session& session, const std::vector<Tensor>& inputs, int warmup, int iters,
                             int64_t batch) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < warmup; ++i) session.run(inputs);
  std::vector<double> ms;
  for (int i = 0; i < std::max(iters, 1); ++i) {
    auto t0 = clock::now();
    session.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  LatencyStats s;
  s.median_ms = ms[ms.size() / 2];
  s.p90_ms = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  s.min_ms = ms[0];
  s.throughput = double(batch) * 1000.0 / s.median_ms;
  return s;
}

}  // namespace shrink::cli
