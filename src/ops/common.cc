// Shared inference rules and broadcast iteration.
#include "ops/common.h"

namespace shrink::ops {

bool infer_same_as_input0(const ir::Node&, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  out[0] = ValueMeta{in[0].dtype, in[0].shape};
  return true;
}

void require_float(const ir::Node& node, const ValueMeta& v, int i) {
  SHRINK_CHECK(is_float(v.dtype), node.label(), " input ", i, " must be a float tensor, got ",
               dtype_name(v.dtype));
}

void require_same_dtype(const ir::Node& node, std::span<const ValueMeta> in, int i, int j) {
  SHRINK_CHECK(in[size_t(i)].dtype == in[size_t(j)].dtype, node.label(), " inputs ", i, " and ", j,
               " have different types (", dtype_name(in[size_t(i)].dtype), ", ",
               dtype_name(in[size_t(j)].dtype), ")");
}

BroadcastStrides::BroadcastStrides(const Shape& out, const Shape& in) : strides(out.size(), 0) {
  auto s = strides_of(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) strides[off + i] = in[i] == 1 ? 0 : s[i];
}

void for_each_broadcast_row(const Shape& out, std::span<const Shape> inputs,
                            const std::function<void(int64_t, const int64_t*, int64_t, const int64_t*)>& fn) {
  const size_t n_in = inputs.size();
  const int64_t total = numel(out);
  if (total == 0) return;
  if (out.empty()) {
    std::vector<int64_t> off(n_in, 0), step(n_in, 0);
    fn(0, off.data(), 1, step.data());
    return;
  }
  std::vector<BroadcastStrides> bs;
  for (const auto& s : inputs) bs.emplace_back(out, s);
  // Merge trailing dims into one row while every input is either contiguous or broadcast
  // over all of them.
  const int rank = int(out.size());
  int64_t row = out[rank - 1];
  std::vector<int64_t> step(n_in);
  for (size_t k = 0; k < n_in; ++k) step[k] = bs[k].strides[rank - 1] == 0 ? 0 : 1;
  int inner_start = rank - 1;
  for (int d = rank - 2; d >= 0; --d) {
    bool ok = true;
    for (size_t k = 0; k < n_in && ok; ++k) {
      int64_t st = bs[k].strides[d];
      ok = step[k] == 0 ? st == 0 : st == row;
    }
    if (!ok) break;
    row *= out[d];
    inner_start = d;
  }
  const int64_t rows = total / row;
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(row, 1)), [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> idx(size_t(inner_start), 0), off(n_in, 0);
    // Decompose r0 into outer indices.
    int64_t r = r0;
    for (int d = inner_start - 1; d >= 0; --d) {
      idx[size_t(d)] = r % out[d];
      r /= out[d];
    }
    for (int64_t rr = r0; rr < r1; ++rr) {
      for (size_t k = 0; k < n_in; ++k) {
        int64_t o = 0;
        for (int d = 0; d < inner_start; ++d) o += idx[size_t(d)] * bs[k].strides[d];
        off[k] = o;
      }
      fn(rr * row, off.data(), row, step.data());
      for (int d = inner_start - 1; d >= 0; --d) {
        if (++idx[size_t(d)] < out[d]) break;
        idx[size_t(d)] = 0;
      }
    }
  });
}

}  // namespace shrink::ops
