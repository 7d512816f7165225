// BatchNormalization over axis 1. Inference: y = (x - mean) / sqrt(var + eps) * scale + B. Training
// (training_mode=1, or extra outputs before opset 14): normalize with the batch mean and biased
// variance, and output running stats updated as stat * momentum + batch_stat * (1 - momentum).
#include <cmath>

#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/nn/batch_norm.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<BatchNormAttrs>();
  a->epsilon = r.get_float("epsilon", 1e-5f);
  a->momentum = r.get_float("momentum", 0.9f);
  if (opset < 9) SHRINK_CHECK(r.get_int("spatial", 1) == 1, node.label(), " spatial=0 is not supported");
  if (opset >= 14) {
    a->training_mode = r.get_int("training_mode", 0) != 0;
    SHRINK_CHECK(a->training_mode || node.outputs.size() == 1, node.label(),
                 " running_mean/running_var outputs need training_mode=1");
    SHRINK_CHECK(node.outputs.size() <= 3, node.label(), " has ", node.outputs.size(), " outputs, expected 1..3");
  } else {
    a->training_mode = node.outputs.size() > 1;
  }
  r.done();
  SHRINK_CHECK(a->epsilon >= 0 && std::isfinite(a->epsilon), node.label(), " epsilon must be >= 0");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  const Shape& x = in[0].shape;
  SHRINK_CHECK(x.size() >= 2, node.label(), " input X must have rank >= 2, got ", shape_str(x));
  for (int i = 1; i < 5; ++i) {
    require_float(node, in[size_t(i)], i);
    SHRINK_CHECK(in[size_t(i)].shape == Shape{x[1]}, node.label(), " input ", i, " has shape ",
                 shape_str(in[size_t(i)].shape), ", expected {", x[1], "}");
  }
  require_same_dtype(node, in, 1, 2);
  require_same_dtype(node, in, 3, 4);
  out[0] = ValueMeta{in[0].dtype, x};
  for (size_t i = 1; i < out.size(); ++i) out[i] = ValueMeta{in[3].dtype, Shape{x[1]}};
  return true;
}

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(size_t(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[size_t(i)] = t.as_double(i);
  return v;
}

void store(Tensor& t, const std::vector<double>& v) {
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      T* p = static_cast<T*>(t.raw());
      for (size_t i = 0; i < v.size(); ++i) p[i] = T(compute_t<T>(v[i]));
    }
  });
}

template <class T>
void run(const BatchNormAttrs& a, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& xt = in[0];
  const int64_t N = xt.dim(0), C = xt.dim(1);
  const int64_t S = N * C == 0 ? 0 : xt.numel() / (N * C);
  const std::vector<double> scale = as_doubles(in[1]), bias = as_doubles(in[2]);
  std::vector<double> mean = as_doubles(in[3]), var = as_doubles(in[4]);
  const T* x = static_cast<const T*>(xt.raw());
  T* y = static_cast<T*>(out[0].raw());
  std::vector<double> batch_mean(size_t(C), 0.0), batch_var(size_t(C), 0.0);
  parallel_for(C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double m = mean[size_t(c)], v = var[size_t(c)];
      if (a.training_mode && N * S > 0) {
        double s = 0, s2 = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) s += double(x[(n * C + c) * S + i]);
        m = s / double(N * S);
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) {
            const double d = double(x[(n * C + c) * S + i]) - m;
            s2 += d * d;
          }
        v = s2 / double(N * S);
        batch_mean[size_t(c)] = m;
        batch_var[size_t(c)] = v;
      }
      const double k = scale[size_t(c)] / std::sqrt(v + double(a.epsilon)), b = bias[size_t(c)];
      for (int64_t n = 0; n < N; ++n) {
        const T* xr = x + (n * C + c) * S;
        T* yr = y + (n * C + c) * S;
        for (int64_t i = 0; i < S; ++i) yr[i] = T(compute_t<T>((double(xr[i]) - m) * k + b));
      }
    }
  });
  if (!a.training_mode) return;
  const double mom = a.momentum;
  std::vector<double> run_mean(static_cast<size_t>(C)), run_var(static_cast<size_t>(C));
  for (size_t c = 0; c < size_t(C); ++c) {
    run_mean[c] = mean[c] * mom + batch_mean[c] * (1 - mom);
    run_var[c] = var[c] * mom + batch_var[c] * (1 - mom);
  }
  const std::vector<double>* values[] = {&run_mean, &run_var, &batch_mean, &batch_var};
  for (size_t i = 1; i < out.size() && i <= 4; ++i)
    if (out[i].defined()) store(out[i], *values[i - 1]);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<BatchNormAttrs>();
  switch (in[0].dtype()) {
    case DType::kFloat32: return run<float>(a, in, out);
    case DType::kFloat64: return run<double>(a, in, out);
    case DType::kFloat16: return run<Half>(a, in, out);
    case DType::kBFloat16: return run<BFloat16>(a, in, out);
    default: fail_input(node.label(), " unsupported element type ", dtype_name(in[0].dtype()));
  }
}

}  // namespace

extern const OpSchema kBatchNormalization{.op_type = "BatchNormalization", .min_inputs = 5, .max_inputs = 5,
                                          .max_outputs = 5, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
