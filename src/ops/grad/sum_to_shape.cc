// SumToShape(G, Like) -> R: the adjoint of numpy broadcasting. R has Like's shape; each element
// is the sum of G over the dims broadcasting added or expanded from 1. The work is split into
// (output run, column chunk, row chunk) units whose bounds depend only on the shapes, and row-chunk
// partial sums are added in order, so results do not depend on the thread count.
#include <algorithm>

#include "ops/grad/grad_util.h"
#include "ops/reduce/reduce.h"

namespace shrink::ops {
namespace {

constexpr int64_t kColumnChunk = 1024;  // output columns per unit when the last dims are kept
constexpr int64_t kUnitWork = 32768;    // input elements per unit, roughly

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0, true);
  require_same_dtype(node, in, 0, 1);
  const Shape& g = in[0].shape;
  const Shape& like = in[1].shape;
  bool ok = like.size() <= g.size();
  for (size_t d = 0; ok && d < like.size(); ++d) {
    const int64_t l = like[d], gd = g[g.size() - like.size() + d];
    ok = l == gd || l == 1;
  }
  SHRINK_CHECK(ok, node.label(), " shape ", shape_str(like), " does not broadcast to ", shape_str(g));
  out[0] = {in[0].dtype, like};
  return true;
}

// Adds reduction positions [e0, e1) of output run `b`, columns [c0, c1), into acc[0 .. c1-c0).
// Position e is element e % inner_red of reduced row e / inner_red (inner_red is 1 when the last
// dims are kept, and then each position is a row of inner_keep columns).
template <class T>
void accumulate(const ReducePlan& p, const T* src, int64_t b, int64_t e0, int64_t e1, int64_t c0, int64_t c1,
                grad_acc_t<T>* acc) {
  using A = grad_acc_t<T>;
  int64_t base = 0, rem = b;
  for (size_t d = p.keep_sizes.size(); d-- > 0;) {
    base += (rem % p.keep_sizes[d]) * p.keep_strides[d];
    rem /= p.keep_sizes[d];
  }
  std::vector<int64_t> idx(p.red_sizes.size());
  int64_t roff = 0;
  rem = e0 / p.inner_red;
  for (size_t d = idx.size(); d-- > 0;) {
    idx[d] = rem % p.red_sizes[d];
    rem /= p.red_sizes[d];
    roff += idx[d] * p.red_strides[d];
  }
  int64_t k = e0 % p.inner_red;
  for (int64_t e = e0; e < e1;) {
    const T* row = src + base + roff;
    if (p.inner_keep == 1) {
      const int64_t n = std::min(p.inner_red - k, e1 - e);
      A s = 0;
      for (int64_t j = k; j < k + n; ++j) s += A(row[j]);
      acc[0] += s;
      e += n;
      k += n;
      if (k < p.inner_red) continue;
      k = 0;
    } else {
      for (int64_t j = c0; j < c1; ++j) acc[j - c0] += A(row[j]);
      ++e;
    }
    for (size_t d = idx.size(); d-- > 0;) {
      roff += p.red_strides[d];
      if (++idx[d] < p.red_sizes[d]) break;
      roff -= idx[d] * p.red_strides[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void sum_to_shape(const Tensor& g, Tensor& r) {
  using A = grad_acc_t<T>;
  const Shape& gs = g.shape();
  const Shape& ls = r.shape();
  const size_t lead = gs.size() - ls.size();
  std::vector<bool> reduced(gs.size());
  for (size_t d = 0; d < gs.size(); ++d) reduced[d] = d < lead || ls[d - lead] == 1;
  const ReducePlan p = make_reduce_plan(gs, reduced);
  T* dst = r.data<T>();
  if (g.numel() == 0) {  // includes R empty; a nonempty R over an empty reduction is all zeros
    std::fill(dst, dst + r.numel(), T(0));
    return;
  }
  const T* src = g.data<T>();
  const int64_t col_chunks = (p.inner_keep + kColumnChunk - 1) / kColumnChunk;
  const int64_t cols = std::min(p.inner_keep, kColumnChunk);
  const int64_t positions = p.red_count * p.inner_red;  // per output run
  const int64_t per_chunk = std::max<int64_t>(1, kUnitWork / cols);
  const int64_t row_chunks = (positions + per_chunk - 1) / per_chunk;
  // partial[((b * col_chunks + c) * row_chunks + k) * cols + j]
  std::vector<A> partial(size_t(p.blocks * col_chunks * row_chunks * cols), A(0));
  const int64_t units = p.blocks * col_chunks * row_chunks;
  const int64_t unit_work = std::max<int64_t>(1, cols * std::min(per_chunk, positions));
  parallel_for(units, std::max<int64_t>(1, kUnitWork / unit_work), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t k = u % row_chunks, bc = u / row_chunks, c = bc % col_chunks, b = bc / col_chunks;
      const int64_t c0 = c * kColumnChunk, c1 = std::min(p.inner_keep, c0 + kColumnChunk);
      accumulate(p, src, b, k * per_chunk, std::min(positions, (k + 1) * per_chunk), c0, c1,
                 partial.data() + u * cols);
    }
  });
  parallel_for(p.blocks * col_chunks, std::max<int64_t>(1, 4096 / cols), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t b = q / col_chunks, c0 = (q % col_chunks) * kColumnChunk;
      const int64_t n = std::min(p.inner_keep, c0 + kColumnChunk) - c0;
      for (int64_t j = 0; j < n; ++j) {
        A s = 0;
        for (int64_t k = 0; k < row_chunks; ++k) s += partial[size_t((q * row_chunks + k) * cols + j)];
        dst[b * p.inner_keep + c0 + j] = T(s);
      }
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  visit_grad_numeric(node, in[0].dtype(), [&](auto tag) { sum_to_shape<decltype(tag)>(in[0], out[0]); });
}

}  // namespace

extern const OpSchema kSumToShape{.op_type = "SumToShape", .domain = kGradDomain, .min_inputs = 2, .max_inputs = 2,
                                  .infer = infer, .compute = compute};

}  // namespace shrink::ops
