// Softmax and LogSoftmax over one axis (opset >= 13) or over the 2-D coercion at `axis`
// (opset < 13). Max-subtracted, exponentials and sums in double, one rounding at the store.
#include "ops/nn/softmax.h"

#include <cmath>

#include "ops/attr_reader.h"
#include "ops/common.h"

namespace shrink::ops {

SoftmaxGeometry softmax_geometry(const SoftmaxAttrs& a, const Shape& shape, const std::string& label) {
  const int64_t rank = int64_t(shape.size());
  SHRINK_CHECK(a.axis >= -rank && a.axis < std::max<int64_t>(rank, 1), label, " axis ", a.axis,
               " is out of range for rank ", rank);
  const int64_t axis = rank == 0 ? 0 : (a.axis < 0 ? a.axis + rank : a.axis);
  SoftmaxGeometry g;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) g.outer *= shape[size_t(d)];
    else if (d == axis || a.coerce_2d) g.n *= shape[size_t(d)];
    else g.inner *= shape[size_t(d)];
  }
  return g;
}

namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<SoftmaxAttrs>();
  a->coerce_2d = opset < 13;
  a->axis = r.get_int("axis", a->coerce_2d ? 1 : -1);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  softmax_geometry(node.attrs_as<SoftmaxAttrs>(), in[0].shape, node.label());
  return infer_same_as_input0(node, in, out);
}

template <bool kLog>
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const SoftmaxGeometry g = softmax_geometry(node.attrs_as<SoftmaxAttrs>(), in[0].shape(), node.label());
  if (in[0].numel() == 0) return;
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      const T* x = static_cast<const T*>(in[0].raw());
      T* y = static_cast<T*>(out[0].raw());
      const int64_t block = g.n * g.inner;
      parallel_for(g.outer, std::max<int64_t>(1, 8192 / block), [&](int64_t o0, int64_t o1) {
        std::vector<double> mx(size_t(g.inner)), sum(size_t(g.inner));
        for (int64_t o = o0; o < o1; ++o) {
          const T* xb = x + o * block;
          T* yb = y + o * block;
          std::fill(mx.begin(), mx.end(), -INFINITY);
          std::fill(sum.begin(), sum.end(), 0.0);
          for (int64_t i = 0; i < g.n; ++i)
            for (int64_t j = 0; j < g.inner; ++j) mx[size_t(j)] = std::max(mx[size_t(j)], double(xb[i * g.inner + j]));
          for (int64_t i = 0; i < g.n; ++i)
            for (int64_t j = 0; j < g.inner; ++j) sum[size_t(j)] += std::exp(double(xb[i * g.inner + j]) - mx[size_t(j)]);
          if (kLog)
            for (double& s : sum) s = std::log(s);
          for (int64_t i = 0; i < g.n; ++i) {
            for (int64_t j = 0; j < g.inner; ++j) {
              const double v = double(xb[i * g.inner + j]) - mx[size_t(j)];
              yb[i * g.inner + j] = T(compute_t<T>(kLog ? v - sum[size_t(j)] : std::exp(v) / sum[size_t(j)]));
            }
          }
        }
      });
    } else {
      fail_input(node.label(), " needs a float input, got ", dtype_name(in[0].dtype()));
    }
  });
}

}  // namespace

extern const OpSchema kSoftmax{.op_type = "Softmax", .parse = parse, .infer = infer, .compute = compute<false>};
extern const OpSchema kLogSoftmax{.op_type = "LogSoftmax", .parse = parse, .infer = infer, .compute = compute<true>};

}  // namespace shrink::ops
