// GatherGrad(dY, Indices, Data) -> dData (attr axis, as Gather): zeros of Data's shape with each
// slice of dY added at the row its index picks (negative indices wrap; out of range is bad input).
// Work is split by output row: each row sums its contributions in index order, so repeated
// indices give the same result on any number of threads. Data only supplies shape and type.
#include <algorithm>

#include "ops/grad/grad_util.h"
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<GatherAttrs>();
  a->axis = r.get_int("axis", 0);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0, true);
  require_same_dtype(node, in, 0, 2);
  require_int_tensor(node, in[1], 1, "indices");
  const Shape& s = in[2].shape;
  SHRINK_CHECK(!s.empty(), node.label(), " Data cannot be a scalar");
  const size_t axis = size_t(node_axis(node, node.attrs_as<GatherAttrs>().axis, int64_t(s.size())));
  Shape y(s.begin(), s.begin() + int64_t(axis));
  y.insert(y.end(), in[1].shape.begin(), in[1].shape.end());
  y.insert(y.end(), s.begin() + int64_t(axis) + 1, s.end());
  SHRINK_CHECK(in[0].shape == y, node.label(), " dY has shape ", shape_str(in[0].shape), ", Gather's output is ",
               shape_str(y));
  out[0] = {in[2].dtype, s};
  return true;
}

template <class T>
void scatter_add(const ir::Node& node, std::span<const Tensor> in, Tensor& out, size_t axis) {
  using A = grad_acc_t<T>;
  const Shape& s = out.shape();
  const int64_t dim = s[axis], n_idx = in[1].numel();
  const int64_t outer = prod(s, 0, axis), inner = prod(s, axis + 1, s.size());
  // Contributions per target row, in index order (counting sort of the indices).
  std::vector<int64_t> start(size_t(dim) + 1, 0), order(static_cast<size_t>(n_idx));
  std::vector<int64_t> idx = in[1].to_int64_vector();
  for (int64_t j = 0; j < n_idx; ++j) {
    int64_t& v = idx[size_t(j)];
    SHRINK_CHECK(v >= -dim && v < dim, node.label(), " index ", v, " is out of range for axis ", axis, " of size ", dim);
    if (v < 0) v += dim;
    ++start[size_t(v) + 1];
  }
  for (int64_t r = 0; r < dim; ++r) start[size_t(r) + 1] += start[size_t(r)];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t j = 0; j < n_idx; ++j) order[size_t(fill[size_t(idx[size_t(j)])]++)] = j;

  const T* dy = in[0].data<T>();
  T* dx = out.data<T>();
  const int64_t per_row = std::max<int64_t>(1, inner * std::max<int64_t>(1, n_idx / std::max<int64_t>(dim, 1)));
  parallel_for(outer * dim, std::max<int64_t>(1, 16384 / per_row), [&](int64_t r0, int64_t r1) {
    std::vector<A> acc(static_cast<size_t>(inner));
    for (int64_t row = r0; row < r1; ++row) {
      const int64_t o = row / dim, r = row % dim;
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t c = start[size_t(r)]; c < start[size_t(r) + 1]; ++c) {
        const T* src = dy + (o * n_idx + order[size_t(c)]) * inner;
        for (int64_t k = 0; k < inner; ++k) acc[size_t(k)] += A(src[k]);
      }
      T* dst = dx + row * inner;
      for (int64_t k = 0; k < inner; ++k) dst[k] = T(acc[size_t(k)]);
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const size_t axis = size_t(node_axis(node, node.attrs_as<GatherAttrs>().axis, out[0].rank()));
  visit_grad_numeric(node, out[0].dtype(), [&](auto tag) { scatter_add<decltype(tag)>(node, in, out[0], axis); });
}

}  // namespace

extern const OpSchema kGatherGrad{.op_type = "GatherGrad", .domain = kGradDomain, .min_inputs = 3, .max_inputs = 3,
                                  .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
