// Shared machinery of ReduceSum/Mean/Max: typed attributes (axes from the attribute or, in newer
// opsets, from input 1), output shape inference, and a blocked reduction loop parameterized by a
// per-op accumulator policy (init / add / finish).
#pragma once
#include <memory>
#include <optional>

#include "ops/common.h"

namespace shrink::ops {

struct ReduceAttrs : ir::OpAttrs {
  bool axes_from_input = false;  // opset >= the op's axes-input version
  std::vector<int64_t> axes;     // from the attribute (when !axes_from_input)
  bool keepdims = true;
  bool noop_with_empty_axes = false;
};

// Parses keepdims, noop_with_empty_axes and axes; `axes_input_since` is the opset in which the
// op's axes moved from an attribute to input 1 (and noop_with_empty_axes appeared).
std::shared_ptr<const ir::OpAttrs> parse_reduce(const ir::Node& node, int64_t opset, int64_t axes_input_since);

// Per input dim, whether it is reduced; nullopt when the axes input is not known yet.
std::optional<std::vector<bool>> reduced_dims(const ir::Node& node, std::span<const ValueMeta> in);
// Fills out[0] with input 0's dtype and the reduced shape. `allow_bool` for ReduceMax.
bool infer_reduce(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out, bool allow_bool);

// The input seen as blocks: outputs come in runs of `inner_keep` contiguous elements (the last
// kept dims), each reduced over `inner_red` contiguous input elements (the last reduced dims)
// and over the odometer of the other reduced dims.
struct ReducePlan {
  int64_t blocks = 0, inner_keep = 1, inner_red = 1;
  std::vector<int64_t> keep_sizes, keep_strides;  // outer kept dims: input strides
  std::vector<int64_t> red_sizes, red_strides;    // outer reduced dims
  int64_t red_count = 1;                          // product of red_sizes
  int64_t count = 0;                              // elements reduced per output
};
ReducePlan make_reduce_plan(const Shape& in, const std::vector<bool>& reduced);

// out[0] = reduction of in[0]; Policy<C> provides Acc, init(), add(Acc&, C), finish(Acc, count) -> C,
// with C = compute_t<T>.
template <template <class> class Policy, class T>
void reduce_typed(const Tensor& x, Tensor& y, const ReducePlan& p) {
  using C = compute_t<T>;
  using P = Policy<C>;
  const T* src = static_cast<const T*>(x.raw());
  T* dst = static_cast<T*>(y.raw());
  if (x.numel() == 0) {
    for (int64_t i = 0; i < y.numel(); ++i) dst[i] = T(P::finish(P::init(), 0));
    return;
  }
  const int64_t work = std::max<int64_t>(1, p.inner_keep * p.count);
  parallel_for(p.blocks, std::max<int64_t>(1, 16384 / work), [&](int64_t b0, int64_t b1) {
    // Not a std::vector: Acc may be bool.
    std::unique_ptr<typename P::Acc[]> acc(new typename P::Acc[size_t(p.inner_keep)]);
    std::vector<int64_t> idx(p.red_sizes.size());
    for (int64_t b = b0; b < b1; ++b) {
      int64_t base = 0, rem = b;
      for (size_t d = p.keep_sizes.size(); d-- > 0;) {
        base += (rem % p.keep_sizes[d]) * p.keep_strides[d];
        rem /= p.keep_sizes[d];
      }
      std::fill(acc.get(), acc.get() + p.inner_keep, P::init());
      std::fill(idx.begin(), idx.end(), 0);
      int64_t roff = 0;
      for (int64_t r = 0; r < p.red_count; ++r) {
        const T* row = src + base + roff;
        if (p.inner_keep == 1) {
          for (int64_t k = 0; k < p.inner_red; ++k) P::add(acc[0], C(row[k]));
        } else {
          for (int64_t j = 0; j < p.inner_keep; ++j) P::add(acc[size_t(j)], C(row[j]));
        }
        for (size_t d = idx.size(); d-- > 0;) {
          roff += p.red_strides[d];
          if (++idx[d] < p.red_sizes[d]) break;
          roff -= idx[d] * p.red_strides[d];
          idx[d] = 0;
        }
      }
      for (int64_t j = 0; j < p.inner_keep; ++j) dst[b * p.inner_keep + j] = T(P::finish(acc[size_t(j)], p.count));
    }
  });
}

// Runs the reduction for node's resolved axes (or copies the input for a no-op reduction).
template <template <class> class Policy>
void compute_reduce(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out, bool allow_bool) {
  std::vector<ValueMeta> metas(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].defined()) metas[i] = ValueMeta{in[i].dtype(), in[i].shape(), &in[i]};
  const std::vector<bool> reduced = *reduced_dims(node, metas);
  const ReducePlan plan = make_reduce_plan(in[0].shape(), reduced);
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      if (!allow_bool) fail_input(node.label(), " does not accept bool");
      reduce_typed<Policy, T>(in[0], out[0], plan);
    } else {
      reduce_typed<Policy, T>(in[0], out[0], plan);
    }
  }, node.label());
}

}  // namespace shrink::ops
