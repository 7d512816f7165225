// LayerNormGrad(dY, X, scale) -> (dX, dscale, [dbias]) (com.shrink): LayerNormalization's gradient.
// Attributes axis (negative allowed), epsilon (stash_type accepted, unused); mean and biased
// variance recomputed per row of the normalized block x[axis:]. dscale and dbias have scale's shape
// (summed over rows and over the dims scale broadcasts along); a B of another shape needs a reduce.
//   g = dy * scale:  dx = inv * (g - mean(g) - xhat * mean(g * xhat))
#include <cmath>

#include "ops/nn/layer_norm.h"
#include "ops/nn_grad/grad_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  return grad::forward_attrs(node, opset, "LayerNormalization");
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  grad::require_grad_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  require_same_dtype(node, in, 0, 2);
  grad::require_shape(node, in[0], 0, in[1].shape, "dY");
  const int64_t axis = layer_norm_axis(node, in[1].shape);
  check_layer_norm_param(node, in[1].shape, axis, in[2], 2);
  out[0] = ValueMeta{in[1].dtype, in[1].shape};
  for (size_t i = 1; i < out.size(); ++i) out[i] = ValueMeta{in[2].dtype, in[2].shape};
  return true;
}

template <class T>
void run(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& xs = in[1].shape();
  const int64_t axis = layer_norm_axis(node, xs);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xs[size_t(d)];
  const int64_t n = numel(Shape(xs.begin() + axis, xs.end()));
  if (outer == 0 || n == 0) return;
  const double eps = node.attrs_as<LayerNormAttrs>().epsilon;
  const std::vector<int64_t> s_off = layer_norm_param_offsets(xs, axis, in[2].shape());
  const T* dy = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* sc = in[2].data<T>();
  T* dx = out[0].data<T>();
  std::vector<double> mean(static_cast<size_t>(outer)), inv(static_cast<size_t>(outer));
  parallel_for(outer, std::max<int64_t>(1, 8192 / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * n;
      const T* dyr = dy + r * n;
      double sum = 0, sq = 0;
      for (int64_t j = 0; j < n; ++j) sum += double(xr[j]);
      const double m = sum / double(n);
      for (int64_t j = 0; j < n; ++j) sq += (double(xr[j]) - m) * (double(xr[j]) - m);
      const double iv = 1.0 / std::sqrt(sq / double(n) + eps);
      double g_sum = 0, gx_sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double g = double(dyr[j]) * double(sc[s_off[size_t(j)]]);
        g_sum += g;
        gx_sum += g * (double(xr[j]) - m) * iv;
      }
      g_sum /= double(n);
      gx_sum /= double(n);
      for (int64_t j = 0; j < n; ++j) {
        const double g = double(dyr[j]) * double(sc[s_off[size_t(j)]]);
        dx[r * n + j] = T(iv * (g - g_sum - (double(xr[j]) - m) * iv * gx_sum));
      }
      mean[size_t(r)] = m;
      inv[size_t(r)] = iv;
    }
  });
  // Parameter gradients: rows summed in order (deterministic), columns split across threads.
  const int64_t np = in[2].numel();
  std::vector<double> ds(size_t(np), 0.0), db(size_t(np), 0.0);
  std::vector<double> ds_col(size_t(n), 0.0), db_col(size_t(n), 0.0);
  parallel_for(n, 256, [&](int64_t j0, int64_t j1) {
    for (int64_t r = 0; r < outer; ++r)
      for (int64_t j = j0; j < j1; ++j) {
        const double d = double(dy[r * n + j]);
        ds_col[size_t(j)] += d * (double(x[r * n + j]) - mean[size_t(r)]) * inv[size_t(r)];
        db_col[size_t(j)] += d;
      }
  });
  for (int64_t j = 0; j < n; ++j) {
    ds[size_t(s_off[size_t(j)])] += ds_col[size_t(j)];
    db[size_t(s_off[size_t(j)])] += db_col[size_t(j)];
  }
  const std::vector<double>* params[] = {&ds, &db};
  for (size_t i = 1; i < out.size() && i <= 2; ++i)
    if (out[i].defined())
      for (int64_t k = 0; k < np; ++k) out[i].data<T>()[k] = T((*params[i - 1])[size_t(k)]);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  grad::visit_grad_float(node, in[0].dtype(), [&](auto tag) { run<decltype(tag)>(node, in, out); });
}

}  // namespace

extern const OpSchema kLayerNormGrad{.op_type = "LayerNormGrad", .domain = "com.shrink", .min_inputs = 3,
                                     .max_inputs = 3, .min_outputs = 2, .max_outputs = 3, .parse = parse,
                                     .infer = infer, .compute = compute};

}  // namespace shrink::ops
