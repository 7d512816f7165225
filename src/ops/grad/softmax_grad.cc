// SoftmaxGrad(dY, Y) -> dX = Y * (dY - sum(dY * Y, axis)) and LogSoftmaxGrad(dY, Y) ->
// dX = dY - exp(Y) * sum(dY, axis), where Y is the forward output. Attributes as Softmax's: `axis`
// (default -1) and `coerce_2d` (default 0; 1 = the opset < 13 form, over all dims from axis on).
// Sums in double over each softmax row; rows are split across threads (never a row itself).
#include <algorithm>
#include <cmath>

#include "ops/grad/grad_util.h"
#include "ops/nn/softmax.h"

namespace shrink::ops {
namespace {

constexpr int64_t kInnerChunk = 256;  // columns of the [outer, n, inner] view per unit of work

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<SoftmaxAttrs>();
  a->axis = r.get_int("axis", -1);
  a->coerce_2d = r.get_int("coerce_2d", 0) != 0;
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0);
  require_same_dtype(node, in, 0, 1);
  require_same_shape(node, in, 0, 1);
  softmax_geometry(node.attrs_as<SoftmaxAttrs>(), in[0].shape, node.label());
  out[0] = {in[0].dtype, in[0].shape};
  return true;
}

template <bool kLog>
void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const SoftmaxGeometry g = softmax_geometry(node.attrs_as<SoftmaxAttrs>(), in[0].shape(), node.label());
  if (in[0].numel() == 0) return;
  visit_grad_float(node, in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* dy = in[0].data<T>();
    const T* y = in[1].data<T>();
    T* dx = out[0].data<T>();
    const int64_t chunks = (g.inner + kInnerChunk - 1) / kInnerChunk;
    const int64_t width = std::min(g.inner, kInnerChunk);
    parallel_for(g.outer * chunks, std::max<int64_t>(1, 8192 / (g.n * width)), [&](int64_t u0, int64_t u1) {
      std::vector<double> sum(static_cast<size_t>(width));
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t o = u / chunks, c0 = (u % chunks) * kInnerChunk, c1 = std::min(g.inner, c0 + kInnerChunk);
        const int64_t base = o * g.n * g.inner;
        std::fill(sum.begin(), sum.end(), 0.0);
        for (int64_t i = 0; i < g.n; ++i) {
          const int64_t off = base + i * g.inner;
          for (int64_t j = c0; j < c1; ++j)
            sum[size_t(j - c0)] += kLog ? double(dy[off + j]) : double(dy[off + j]) * double(y[off + j]);
        }
        for (int64_t i = 0; i < g.n; ++i) {
          const int64_t off = base + i * g.inner;
          for (int64_t j = c0; j < c1; ++j) {
            const double s = sum[size_t(j - c0)];
            dx[off + j] = kLog ? T(double(dy[off + j]) - std::exp(double(y[off + j])) * s)
                               : T(double(y[off + j]) * (double(dy[off + j]) - s));
          }
        }
      }
    });
  });
}

}  // namespace

extern const OpSchema kSoftmaxGrad{.op_type = "SoftmaxGrad", .domain = kGradDomain, .min_inputs = 2,
                                   .max_inputs = 2, .parse = parse, .infer = infer, .compute = compute<false>};
extern const OpSchema kLogSoftmaxGrad{.op_type = "LogSoftmaxGrad", .domain = kGradDomain, .min_inputs = 2,
                                      .max_inputs = 2, .parse = parse, .infer = infer, .compute = compute<true>};

}  // namespace shrink::ops
