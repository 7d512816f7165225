// Our own OpenMP kernels for training-time batch normalization on plain NC... float32 data:
// BatchNormalization with training_mode=1 and com.shrink BatchNormTrainGrad. Memory-bound, so the
// point is few passes with vectorized inner loops: channels run in parallel; each row sums in 8
// float lanes flushed to double every 512 elements (fp32-accurate, unlike E[x^2] - E[x]^2), the
// variance is a second pass around the mean. oneDNN 2.6 has only its generic loop for plain NCHW.
#include <cmath>

#include "core/threads.h"
#include "ops/nn/batch_norm.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kLanes = 8, kFlush = 512;

// Sum over a row of f(i) for i in [0, n), f vectorizable.
template <class F>
double row_sum(int64_t n, F&& f) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kFlush) {
    const int64_t e = std::min(n, b + kFlush);
    float acc[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= e; i += kLanes)
#pragma omp simd
      for (int64_t j = 0; j < kLanes; ++j) acc[j] += f(i + j);
    for (; i < e; ++i) total += double(f(i));
    for (int64_t j = 0; j < kLanes; ++j) total += double(acc[j]);
  }
  return total;
}

struct Plane {
  int64_t N, C, S;
  const float* row(const float* p, int64_t n, int64_t c) const { return p + (n * C + c) * S; }
  float* row(float* p, int64_t n, int64_t c) const { return p + (n * C + c) * S; }
};

Plane plane_of(const Shape& x) {
  const int64_t N = x[0], C = x[1];
  return {N, C, numel(x) / (N * C)};
}

double channel_mean(const Plane& p, const float* x, int64_t c) {
  double s = 0;
  for (int64_t n = 0; n < p.N; ++n) {
    const float* r = p.row(x, n, c);
    s += row_sum(p.S, [&](int64_t i) { return r[i]; });
  }
  return s / double(p.N * p.S);
}

class BatchNormTrain final : public Kernel {
 public:
  BatchNormTrain(const Shape& x, const ops::BatchNormAttrs& a) : p_(plane_of(x)), a_(a) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    const float *scale = in[1].data<float>(), *bias = in[2].data<float>();
    float* y = out[0].data<float>();
    std::vector<double> mean(size_t(p_.C)), var(size_t(p_.C));
    const double M = double(p_.N * p_.S);
    parallel_for(p_.C, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const double m = channel_mean(p_, x, c);
        const float mf = float(m);
        double s2 = 0;
        for (int64_t n = 0; n < p_.N; ++n) {
          const float* r = p_.row(x, n, c);
          s2 += row_sum(p_.S, [&](int64_t i) { return (r[i] - mf) * (r[i] - mf); });
        }
        const double v = s2 / M;
        const double k = double(scale[c]) / std::sqrt(v + double(a_.epsilon));
        const float kf = float(k), bf = float(double(bias[c]) - m * k);
        for (int64_t n = 0; n < p_.N; ++n) {
          const float* r = p_.row(x, n, c);
          float* w = p_.row(y, n, c);
#pragma omp simd
          for (int64_t i = 0; i < p_.S; ++i) w[i] = r[i] * kf + bf;
        }
        mean[size_t(c)] = m;
        var[size_t(c)] = v;
      }
    });
    const double mom = a_.momentum;
    const std::vector<double>* batch[] = {&mean, &var};
    for (size_t i = 1; i < out.size() && i <= 4; ++i) {
      if (!out[i].defined()) continue;
      const std::vector<double>& b = *batch[(i - 1) % 2];
      float* dst = out[i].data<float>();
      if (i <= 2) {  // running mean / variance
        const float* running = in[2 + i].data<float>();
        for (int64_t c = 0; c < p_.C; ++c) dst[c] = float(double(running[c]) * mom + b[size_t(c)] * (1 - mom));
      } else {  // saved mean / variance (before opset 14)
        for (int64_t c = 0; c < p_.C; ++c) dst[c] = float(b[size_t(c)]);
      }
    }
  }
  std::string_view name() const override { return "cpu:batch_norm_train"; }

 private:
  Plane p_;
  ops::BatchNormAttrs a_;
};

class BatchNormGrad final : public Kernel {
 public:
  BatchNormGrad(const Shape& x, float eps) : p_(plane_of(x)), eps_(eps) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float *dy = in[0].data<float>(), *x = in[1].data<float>(), *scale = in[2].data<float>();
    float* dx = out[0].data<float>();
    float* dscale = out.size() > 1 && out[1].defined() ? out[1].data<float>() : nullptr;
    float* dbias = out.size() > 2 && out[2].defined() ? out[2].data<float>() : nullptr;
    const double M = double(p_.N * p_.S);
    parallel_for(p_.C, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const double m = channel_mean(p_, x, c);
        const float mf = float(m);
        double s2 = 0, db = 0, dxm = 0;  // sum (x-m)^2, sum dy, sum dy (x-m)
        for (int64_t n = 0; n < p_.N; ++n) {
          const float *r = p_.row(x, n, c), *d = p_.row(dy, n, c);
          s2 += row_sum(p_.S, [&](int64_t i) { return (r[i] - mf) * (r[i] - mf); });
          db += row_sum(p_.S, [&](int64_t i) { return d[i]; });
          dxm += row_sum(p_.S, [&](int64_t i) { return d[i] * (r[i] - mf); });
        }
        const double inv = 1.0 / std::sqrt(s2 / M + double(eps_)), ds = dxm * inv;
        // dx = scale * inv / M * (M dy - db - (x - m) inv ds) = k1 dy + k2 (x - m) + k3
        const double k1 = double(scale[c]) * inv, k2 = -k1 / M * inv * ds, k3 = -k1 / M * db;
        const float f1 = float(k1), f2 = float(k2), f3 = float(k3);
        for (int64_t n = 0; n < p_.N; ++n) {
          const float *r = p_.row(x, n, c), *d = p_.row(dy, n, c);
          float* w = p_.row(dx, n, c);
#pragma omp simd
          for (int64_t i = 0; i < p_.S; ++i) w[i] = f1 * d[i] + f2 * (r[i] - mf) + f3;
        }
        if (dscale) dscale[c] = float(ds);
        if (dbias) dbias[c] = float(db);
      }
    });
  }
  std::string_view name() const override { return "cpu:batch_norm_bwd"; }

 private:
  Plane p_;
  float eps_;
};

bool all_float32(std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.present() && m.dtype != DType::kFloat32) return false;
  return true;
}

std::unique_ptr<Kernel> make_train(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& a = node.attrs_as<ops::BatchNormAttrs>();
  if (!a.training_mode || !all_float32(in) || in[0].shape.size() < 2 || numel(in[0].shape) == 0) return nullptr;
  return std::make_unique<BatchNormTrain>(in[0].shape, a);
}

std::unique_ptr<Kernel> make_grad(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (!all_float32(in) || in[1].shape.size() < 2 || numel(in[1].shape) == 0 || in[0].shape != in[1].shape)
    return nullptr;
  return std::make_unique<BatchNormGrad>(in[1].shape, node.attrs_as<ops::BatchNormAttrs>().epsilon);
}

}  // namespace

std::vector<KernelEntry> cpu_batch_norm_kernels() {
  return {{"", "BatchNormalization", make_train}, {"com.shrink", "BatchNormTrainGrad", make_grad}};
}

}  // namespace shrink::runtime
