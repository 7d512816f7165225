// The pooling windows of one (n, c) plane, as the forward pooling kernel (ops/nn/pool.cc) walks
// them: for each output position, the flattened input positions in window order and the number of
// taps inside the padded extent (the count_include_pad divisor). The windows are the same for every
// plane, so they are flattened once into a table (unless huge, then walked per output).
#pragma once
#include <span>
#include <vector>

#include "ops/nn/pool.h"

namespace shrink::ops::grad {

class PoolWindows {
 public:
  explicit PoolWindows(const ConvGeometry& g) : g_(g) {
    int64_t total = 1;
    for (size_t d = 0; d < g.kernel.size(); ++d) {
      dims_.push_back(pool_taps(g, d));
      total *= int64_t(dims_.back().taps.size());
    }
    constexpr int64_t kMaxTable = int64_t(1) << 22;  // taps; beyond it, walk each window on the fly
    if (total > kMaxTable) return;
    table_.reserve(size_t(total));
    walk([&](int64_t, std::span<const int64_t> taps, int64_t padded) {
      start_.push_back(int64_t(table_.size()));
      table_.insert(table_.end(), taps.begin(), taps.end());
      padded_.push_back(padded);
    });
    start_.push_back(int64_t(table_.size()));
  }
  // Calls f(out_pos, taps, padded_count) for every output position of a plane, in order.
  template <class F>
  void for_each(F&& f) const {
    if (start_.empty()) return walk(f);
    for (size_t op = 0; op + 1 < start_.size(); ++op)
      f(int64_t(op), std::span<const int64_t>(table_.data() + start_[op], size_t(start_[op + 1] - start_[op])),
        padded_[op]);
  }

 private:
  template <class F>
  void walk(F&& f) const {
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
      f(op, std::span<const int64_t>(taps), padded);
      for (int64_t d = int64_t(n) - 1; d >= 0; --d) {
        if (++o[size_t(d)] < g_.out_spatial[size_t(d)]) break;
        o[size_t(d)] = 0;
      }
    }
  }

  const ConvGeometry& g_;
  std::vector<PoolTaps> dims_;
  std::vector<int64_t> start_, table_, padded_;  // CSR: taps of output op are table_[start_[op]..start_[op+1])
};

}  // namespace shrink::ops::grad
