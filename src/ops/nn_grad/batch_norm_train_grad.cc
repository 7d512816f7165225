// BatchNormTrainGrad(dY, X, scale) -> (dX, dscale, dbias) (com.shrink): the gradient of
// BatchNormalization in training mode, which normalizes with the batch mean and biased variance
// over N and the spatial dims (recomputed here from X). Attribute epsilon; momentum and
// training_mode, copied from the forward node, are accepted and unused. X is {N, C, ...}.
//   xhat = (x - mean) * inv, inv = 1 / sqrt(var + eps), M = N * spatial:
//   dbias = sum dy, dscale = sum dy * xhat, dx = scale * inv / M * (M * dy - dbias - xhat * dscale)
#include <cmath>

#include "ops/attr_reader.h"
#include "ops/nn/batch_norm.h"
#include "ops/nn_grad/grad_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<BatchNormAttrs>();
  a->epsilon = r.get_float("epsilon", 1e-5f);
  a->momentum = r.get_float("momentum", 0.9f);
  a->training_mode = true;
  r.ignore("training_mode");
  r.ignore("spatial");
  r.done();
  SHRINK_CHECK(a->epsilon >= 0 && std::isfinite(a->epsilon), node.label(), " epsilon must be >= 0");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  grad::require_grad_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  grad::require_grad_float(node, in[2], 2);
  const Shape& x = in[1].shape;
  SHRINK_CHECK(x.size() >= 2, node.label(), " input X must have rank >= 2, got ", shape_str(x));
  grad::require_shape(node, in[0], 0, x, "dY");
  grad::require_shape(node, in[2], 2, Shape{x[1]}, "scale");
  out[0] = ValueMeta{in[1].dtype, x};
  for (size_t i = 1; i < out.size(); ++i) out[i] = ValueMeta{in[2].dtype, Shape{x[1]}};
  return true;
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<BatchNormAttrs>();
  const Tensor& xt = in[1];
  const int64_t N = xt.dim(0), C = xt.dim(1), S = N * C == 0 ? 0 : xt.numel() / (N * C);
  const double M = double(N * S);
  const T* dy = in[0].data<T>();
  const T* x = xt.data<T>();
  T* dx = out[0].data<T>();
  std::vector<double> dscale(size_t(C), 0.0), dbias(size_t(C), 0.0);
  parallel_for(C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      if (M == 0) continue;
      double s = 0, s2 = 0, db = 0, dxh = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < S; ++i) s += double(x[(n * C + c) * S + i]);
      const double mean = s / M;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < S; ++i) {
          const double d = double(x[(n * C + c) * S + i]) - mean;
          s2 += d * d;
        }
      const double inv = 1.0 / std::sqrt(s2 / M + double(a.epsilon));
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < S; ++i) {
          const int64_t e = (n * C + c) * S + i;
          db += double(dy[e]);
          dxh += double(dy[e]) * (double(x[e]) - mean) * inv;
        }
      dscale[size_t(c)] = dxh;
      dbias[size_t(c)] = db;
      const double k = in[2].as_double(c) * inv / M;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < S; ++i) {
          const int64_t e = (n * C + c) * S + i;
          dx[e] = T(k * (M * double(dy[e]) - db - (double(x[e]) - mean) * inv * dxh));
        }
    }
  });
  const std::vector<double>* params[] = {&dscale, &dbias};
  for (size_t i = 1; i < out.size() && i <= 2; ++i)
    if (out[i].defined())
      grad::visit_grad_float(node, out[i].dtype(), [&](auto tag) {
        using P = decltype(tag);
        for (int64_t c = 0; c < C; ++c) out[i].data<P>()[c] = P((*params[i - 1])[size_t(c)]);
      });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out); });
}

}  // namespace

extern const OpSchema kBatchNormTrainGrad{.op_type = "BatchNormTrainGrad", .domain = "com.shrink", .min_inputs = 3,
                                          .max_inputs = 3, .max_outputs = 3, .parse = parse, .infer = infer,
                                          .compute = compute};

}  // namespace shrink::ops
