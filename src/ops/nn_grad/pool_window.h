// The pooling windows of one (n, c) plane, as the forward pooling kernel (ops/nn/pool.cc) walks
// them: for each output position, the flattened input positions in window order, the number of
// taps inside the input (valid) and inside the padded extent (the count_include_pad divisor).
#pragma once
#include <vector>

#include "ops/nn/pool.h"

namespace shrink::ops::grad {

class PoolWindows {
 public:
  explicit PoolWindows(const ConvGeometry& g) : g_(g) {
    for (size_t d = 0; d < g.kernel.size(); ++d) dims_.push_back(pool_taps(g, d));
  }
  // Calls f(out_pos, taps, padded_count) for every output position of a plane, in order.
  template <class F>
  void for_each(F&& f) const {
    const size_t n = dims_.size();
    std::vector<int64_t> o(n, 0), row_stride(n, 1), taps;
    for (size_t d = n - 1; d > 0; --d) row_stride[d - 1] = row_stride[d] * g_.in_spatial[d];
    int64_t out_size = 1;
    for (int64_t v : g_.out_spatial) out_size *= v;
    for (int64_t op = 0; op < out_size; ++op) {
      taps.clear();
      int64_t padded = 1;
      for (size_t d = 0; d < n; ++d) padded *= dims_[d].padded_count[size_t(o[d])];
      auto visit = [&](auto&& self, size_t d, int64_t off) -> void {
        const PoolTaps& t = dims_[d];
        for (int64_t j = t.start[size_t(o[d])]; j < t.start[size_t(o[d]) + 1]; ++j) {
          const int64_t r = off + t.taps[size_t(j)] * row_stride[d];
          if (d + 1 < n) self(self, d + 1, r);
          else taps.push_back(r);
        }
      };
      visit(visit, 0, 0);
      f(op, taps, padded);
      for (int64_t d = int64_t(n) - 1; d >= 0; --d) {
        if (++o[size_t(d)] < g_.out_spatial[size_t(d)]) break;
        o[size_t(d)] = 0;
      }
    }
  }

 private:
  const ConvGeometry& g_;
  std::vector<PoolTaps> dims_;
};

}  // namespace shrink::ops::grad
