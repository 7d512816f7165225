// OpenMP-backed thread settings.
#include "core/threads.h"

#include <omp.h>

#include <algorithm>

namespace shrink {

void set_num_threads(int n) { omp_set_num_threads(std::max(1, n)); }
int num_threads() { return omp_get_max_threads(); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  int nt = omp_get_max_threads();
  if (nt <= 1 || n < 2 * std::max<int64_t>(grain, 1)) {
    if (n > 0) fn(0, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(nt, n / std::max<int64_t>(grain, 1));
#pragma omp parallel for num_threads(int(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    if (b < e) fn(b, e);
  }
}

}  // namespace shrink
