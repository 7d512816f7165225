// The update rules (torch.optim.SGD / Adam / AdamW semantics) over float32 tensors.
#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"

namespace shrink::train {

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  if (name == "adamw") return OptimizerKind::kAdamW;
  fail_input("unknown optimizer '", name, "' (expected sgd, adam or adamw)");
}

const char* optimizer_name(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::kSgd: return "sgd";
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kAdamW: return "adamw";
  }
  return "?";
}

Optimizer::Optimizer(OptimizerConfig config, const std::vector<Tensor>& params) : config_(config) {
  const bool sgd = config_.kind == OptimizerKind::kSgd;
  for (const Tensor& p : params) {
    SHRINK_CHECK(p.dtype() == DType::kFloat32, "only float32 parameters can be trained, got ", dtype_name(p.dtype()));
    m_.emplace_back(sgd && config_.momentum == 0.f ? Tensor() : Tensor(DType::kFloat32, p.shape()));
    v_.emplace_back(sgd ? Tensor() : Tensor(DType::kFloat32, p.shape()));
  }
}

namespace {

// The update of one parameter over [b, e), as separate simple loops (each vectorizes; the
// optimizer is memory-bound and used to cost a third of an MLP step when written per element
// with branches).
struct Update {
  const OptimizerConfig& c;
  float lr;
  bool first;
  float bc1, bc2;  // Adam bias corrections

  void operator()(float* __restrict p, float* __restrict g, const float* __restrict mask, float* __restrict m,
                  float* __restrict v, int64_t n) const {
    if (mask) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) g[j] *= mask[j];
    }
    const float wd = c.weight_decay;
    if (c.kind == OptimizerKind::kSgd) {
      if (wd != 0.f) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) g[j] += wd * p[j];
      }
      if (!m) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) p[j] -= lr * g[j];
      } else if (first) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) {
          m[j] = g[j];
          p[j] -= lr * (c.nesterov ? g[j] + c.momentum * g[j] : g[j]);
        }
      } else {
        const float mom = c.momentum, damp = 1.f - c.dampening;
        if (c.nesterov) {
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) {
            m[j] = mom * m[j] + damp * g[j];
            p[j] -= lr * (g[j] + mom * m[j]);
          }
        } else {
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) {
            m[j] = mom * m[j] + damp * g[j];
            p[j] -= lr * m[j];
          }
        }
      }
    } else {
      if (c.kind == OptimizerKind::kAdamW) {
        const float keep = 1.f - lr * wd;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) p[j] *= keep;
      } else if (wd != 0.f) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) g[j] += wd * p[j];
      }
      const float b1 = c.beta1, b2 = c.beta2, step = lr / bc1, inv_bc2 = 1.f / bc2, eps = c.eps;
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) {
        m[j] = b1 * m[j] + (1.f - b1) * g[j];
        v[j] = b2 * v[j] + (1.f - b2) * g[j] * g[j];
        p[j] -= step * m[j] / (std::sqrt(v[j] * inv_bc2) + eps);
      }
    }
    if (mask) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) p[j] *= mask[j];
    }
  }
};

}  // namespace

void Optimizer::step(std::vector<Tensor>& params, std::vector<Tensor>& grads, const std::vector<Tensor>& masks,
                     float lr) {
  SHRINK_ASSERT(params.size() == m_.size() && grads.size() == params.size(), "optimizer arity mismatch");
  ++t_;
  const Update update{config_, lr, t_ == 1, float(1.0 - std::pow(double(config_.beta1), double(t_))),
                      float(1.0 - std::pow(double(config_.beta2), double(t_)))};
  for (size_t i = 0; i < params.size(); ++i) {
    float* p = params[i].data<float>();
    float* g = grads[i].data<float>();
    const float* mask = i < masks.size() && masks[i].defined() ? masks[i].data<float>() : nullptr;
    float* m = m_[i].defined() ? m_[i].data<float>() : nullptr;
    float* v = v_[i].defined() ? v_[i].data<float>() : nullptr;
    parallel_for(params[i].numel(), 16384, [&](int64_t b, int64_t e) {
      update(p + b, g + b, mask ? mask + b : nullptr, m ? m + b : nullptr, v ? v + b : nullptr, e - b);
    });
  }
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state(const std::vector<std::string>& names) const {
  std::vector<std::pair<std::string, Tensor>> s;
  s.emplace_back("optimizer.step", Tensor::scalar<int64_t>(t_));
  for (size_t i = 0; i < names.size(); ++i) {
    if (m_[i].defined()) s.emplace_back("optimizer.m." + names[i], m_[i]);
    if (v_[i].defined()) s.emplace_back("optimizer.v." + names[i], v_[i]);
  }
  return s;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& state,
                           const std::vector<std::string>& names) {
  auto find = [&](const std::string& key) -> const Tensor* {
    for (const auto& [k, t] : state)
      if (k == key) return &t;
    return nullptr;
  };
  const Tensor* step = find("optimizer.step");
  SHRINK_CHECK(step && step->numel() == 1, "checkpoint has no optimizer step count");
  t_ = step->as_int64(0);
  for (size_t i = 0; i < names.size(); ++i) {
    for (auto [buf, key] : {std::pair{&m_[i], "optimizer.m."}, std::pair{&v_[i], "optimizer.v."}}) {
      if (!buf->defined()) continue;
      const Tensor* t = find(key + names[i]);
      SHRINK_CHECK(t && t->dtype() == DType::kFloat32 && t->shape() == buf->shape(), "checkpoint optimizer state for '",
                   names[i], "' is missing or has the wrong shape");
      *buf = t->clone();
    }
  }
}

double grad_norm(const std::vector<Tensor>& grads) {
  // Blocks of 4096 summed in float over 8 lanes, blocks added in double: vectorizes, and the
  // result depends only on the shapes (the same for any thread count).
  constexpr int64_t kBlock = 4096;
  double total = 0;
  for (const Tensor& g : grads) {
    const float* d = g.data<float>();
    const int64_t n = g.numel(), blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(size_t(blocks), 0.0);
    parallel_for(blocks, 8, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t j = begin;
        for (; j + 8 <= end; j += 8)
          for (int k = 0; k < 8; ++k) lanes[k] += d[j + k] * d[j + k];
        double s = 0;
        for (; j < end; ++j) s += double(d[j]) * double(d[j]);
        for (float l : lanes) s += double(l);
        partial[size_t(b)] = s;
      }
    });
    for (double s : partial) total += s;
  }
  return std::sqrt(total);
}

void scale_to_max_norm(std::vector<Tensor>& grads, double norm, double max_norm) {
  const double scale = max_norm / (norm + 1e-6);
  if (scale >= 1.0) return;
  for (Tensor& g : grads) {
    float* d = g.data<float>();
    parallel_for(g.numel(), 16384, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) d[j] = float(double(d[j]) * scale);
    });
  }
}

double clip_grad_norm(std::vector<Tensor>& grads, double max_norm) {
  const double norm = grad_norm(grads);
  scale_to_max_norm(grads, norm, max_norm);
  return norm;
}

}  // namespace shrink::train
