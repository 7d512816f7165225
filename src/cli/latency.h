// Timing a session: warm-up runs, then timed runs; median, p90, min (ms) and throughput.
#pragma once
#include <vector>

#include "runtime/session.h"

namespace shrink::cli {

struct LatencyStats {
  double median_ms = 0, p90_ms = 0, min_ms = 0, throughput = 0;  // throughput: samples/s
};

LatencyStats measure_latency(runtime::Session& session, const std::vector<Tensor>& inputs, int warmup, int iters,
                             int64_t batch);

}  // namespace shrink::cli
