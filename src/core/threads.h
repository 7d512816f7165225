// Thread count for a session: shrink's own kernels and oneDNN both use OpenMP, so one setting
// governs both. parallel_for splits [0, n) into contiguous chunks (deterministic per thread count).
#pragma once
#include <cstdint>
#include <functional>

namespace shrink {

void set_num_threads(int n);
int num_threads();
// Calls fn(begin, end) over chunks of [0, n); runs inline when n < grain or one thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace shrink
