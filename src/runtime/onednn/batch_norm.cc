// Training-time batch normalization on oneDNN (fp32, rank 2-5, plain NC...): BatchNormalization with
// training_mode=1 on batch_normalization_forward (forward_training gives the batch mean and biased
// variance; the running stats are then stat * momentum + batch_stat * (1 - momentum), as the
// reference), and com.shrink BatchNormTrainGrad on batch_normalization_backward (use_scale |
// use_shift) with the batch statistics recomputed from X. Scale, bias and stats are run-time inputs.
#include <cmath>
#include <cstring>

#include "core/threads.h"
#include "ops/nn/batch_norm.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

const auto kFlags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

dnnl::batch_normalization_forward::primitive_desc forward_pd(const dnnl::memory::desc& md, float eps) {
  dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_training, md, eps, kFlags);
  return dnnl::batch_normalization_forward::primitive_desc(d, engine());
}

class BatchNormTrainKernel final : public Kernel {
 public:
  BatchNormTrainKernel(const Shape& x, const ops::BatchNormAttrs& a)
      : md_(plain_desc(x)), vec_(plain_desc({x[1]})), momentum_(a.momentum) {
    prim_ = dnnl::batch_normalization_forward(forward_pd(md_, a.epsilon));
    mean_ = dnnl::memory(vec_, engine());
    var_ = dnnl::memory(vec_, engine());
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    prim_.execute(stream(), {{DNNL_ARG_SRC, wrap(md_, in[0])}, {DNNL_ARG_DST, wrap(md_, out[0])},
                             {DNNL_ARG_SCALE, wrap(vec_, in[1])}, {DNNL_ARG_SHIFT, wrap(vec_, in[2])},
                             {DNNL_ARG_MEAN, mean_}, {DNNL_ARG_VARIANCE, var_}});
    stream().wait();
    const int64_t C = in[1].numel();
    const float* batch[] = {static_cast<const float*>(mean_.get_data_handle()),
                            static_cast<const float*>(var_.get_data_handle())};
    for (size_t i = 1; i < out.size() && i <= 2; ++i) {
      if (!out[i].defined()) continue;
      const float* running = in[2 + i].data<float>();
      float* dst = out[i].data<float>();
      for (int64_t c = 0; c < C; ++c)
        dst[c] = float(double(running[c]) * momentum_ + double(batch[i - 1][c]) * (1 - double(momentum_)));
    }
    for (size_t i = 3; i < out.size() && i <= 4; ++i)  // saved mean / variance (before opset 14)
      if (out[i].defined()) std::copy_n(batch[i - 3], C, out[i].data<float>());
  }
  std::string_view name() const override { return "onednn:batch_norm_train"; }

 private:
  dnnl::memory::desc md_, vec_;
  float momentum_;
  dnnl::batch_normalization_forward prim_;
  dnnl::memory mean_, var_;
};

std::unique_ptr<Kernel> make_batch_norm(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& a = node.attrs_as<ops::BatchNormAttrs>();
  if (!a.training_mode) return nullptr;  // inference batch norm is folded into convs or runs on the reference
  for (const auto& m : in)
    if (m.dtype != DType::kFloat32) return nullptr;
  const Shape& x = in[0].shape;
  if (x.size() < 2 || x.size() > 5 || numel(x) == 0) return nullptr;
  try {
    return std::make_unique<BatchNormTrainKernel>(x, a);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

class BatchNormGradKernel final : public Kernel {
 public:
  BatchNormGradKernel(const Shape& x, float eps) : md_(plain_desc(x)), vec_(plain_desc({x[1]})), x_(x) {
    dnnl::batch_normalization_backward::desc d(dnnl::prop_kind::backward, md_, md_, eps, kFlags);
    prim_ = dnnl::batch_normalization_backward(
        dnnl::batch_normalization_backward::primitive_desc(d, engine(), forward_pd(md_, eps)));
    mean_ = dnnl::memory(vec_, engine());
    var_ = dnnl::memory(vec_, engine());
    dscale_ = dnnl::memory(vec_, engine());
    dshift_ = dnnl::memory(vec_, engine());
    // oneDNN 2.6 counts the shift as an input of the use_shift backward, though it does not read it.
    shift_ = dnnl::memory(vec_, engine());
    std::memset(shift_.get_data_handle(), 0, vec_.get_size());
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    batch_stats(in[1].data<float>());
    dnnl::memory ds = out.size() > 1 && out[1].defined() ? wrap(vec_, out[1]) : dscale_;
    dnnl::memory db = out.size() > 2 && out[2].defined() ? wrap(vec_, out[2]) : dshift_;
    prim_.execute(stream(), {{DNNL_ARG_SRC, wrap(md_, in[1])}, {DNNL_ARG_DIFF_DST, wrap(md_, in[0])},
                             {DNNL_ARG_SCALE, wrap(vec_, in[2])}, {DNNL_ARG_SHIFT, shift_}, {DNNL_ARG_MEAN, mean_}, {DNNL_ARG_VARIANCE, var_},
                             {DNNL_ARG_DIFF_SRC, wrap(md_, out[0])}, {DNNL_ARG_DIFF_SCALE, ds},
                             {DNNL_ARG_DIFF_SHIFT, db}});
    stream().wait();
  }
  std::string_view name() const override { return "onednn:batch_norm_bwd"; }

 private:
  // Batch mean and biased variance per channel, accumulated in double (two passes).
  void batch_stats(const float* x) {
    const int64_t N = x_[0], C = x_[1], S = numel(x_) / (N * C);
    float* mean = static_cast<float*>(mean_.get_data_handle());
    float* var = static_cast<float*>(var_.get_data_handle());
    parallel_for(C, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        double s = 0, s2 = 0;
        for (int64_t n = 0; n < N; ++n) {
          const float* p = x + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) s += double(p[i]);
        }
        const double m = s / double(N * S);
        for (int64_t n = 0; n < N; ++n) {
          const float* p = x + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) s2 += (double(p[i]) - m) * (double(p[i]) - m);
        }
        mean[c] = float(m);
        var[c] = float(s2 / double(N * S));
      }
    });
  }

  dnnl::memory::desc md_, vec_;
  Shape x_;
  dnnl::batch_normalization_backward prim_;
  dnnl::memory mean_, var_, dscale_, dshift_, shift_;
};

std::unique_ptr<Kernel> make_batch_norm_grad(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.dtype != DType::kFloat32) return nullptr;
  const Shape& x = in[1].shape;
  if (x.size() < 2 || x.size() > 5 || numel(x) == 0 || in[0].shape != x) return nullptr;
  try {
    return std::make_unique<BatchNormGradKernel>(x, node.attrs_as<ops::BatchNormAttrs>().epsilon);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

}  // namespace

std::vector<KernelEntry> batch_norm_kernels() {
  return {{"", "BatchNormalization", make_batch_norm}, {"com.shrink", "BatchNormTrainGrad", make_batch_norm_grad}};
}

}  // namespace shrink::runtime::onednn
