// The update rules (torch.optim.SGD / Adam / AdamW semantics) over float32 tensors.
#include "train/optimizer.h"

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

void Optimizer::step(std::vector<Tensor>& params, std::vector<Tensor>& grads, const std::vector<Tensor>& masks,
                     float lr) {
  SHRINK_ASSERT(params.size() == m_.size() && grads.size() == params.size(), "optimizer arity mismatch");
  ++t_;
  const OptimizerConfig c = config_;
  const double bc1 = 1.0 - std::pow(double(c.beta1), double(t_)), bc2 = 1.0 - std::pow(double(c.beta2), double(t_));
  const bool first = t_ == 1;
  for (size_t i = 0; i < params.size(); ++i) {
    float* p = params[i].data<float>();
    float* g = grads[i].data<float>();
    const float* mask = i < masks.size() && masks[i].defined() ? masks[i].data<float>() : nullptr;
    float* m = m_[i].defined() ? m_[i].data<float>() : nullptr;
    float* v = v_[i].defined() ? v_[i].data<float>() : nullptr;
    parallel_for(params[i].numel(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        float gj = mask ? g[j] * mask[j] : g[j];
        if (c.kind == OptimizerKind::kSgd) {
          if (c.weight_decay != 0.f) gj += c.weight_decay * p[j];
          if (m) {
            m[j] = first ? gj : c.momentum * m[j] + (1.f - c.dampening) * gj;
            gj = c.nesterov ? gj + c.momentum * m[j] : m[j];
          }
          p[j] -= lr * gj;
        } else {
          if (c.kind == OptimizerKind::kAdamW) p[j] *= 1.f - lr * c.weight_decay;
          else if (c.weight_decay != 0.f) gj += c.weight_decay * p[j];
          m[j] = c.beta1 * m[j] + (1.f - c.beta1) * gj;
          v[j] = c.beta2 * v[j] + (1.f - c.beta2) * gj * gj;
          const double denom = std::sqrt(double(v[j]) / bc2) + double(c.eps);
          p[j] = float(double(p[j]) - double(lr) * (double(m[j]) / bc1) / denom);
        }
        if (mask) p[j] *= mask[j];
      }
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
  double total = 0;
  for (const Tensor& g : grads) {
    const float* d = g.data<float>();
    for (int64_t j = 0; j < g.numel(); ++j) total += double(d[j]) * double(d[j]);
  }
  return std::sqrt(total);
}

double clip_grad_norm(std::vector<Tensor>& grads, double max_norm) {
  const double norm = grad_norm(grads);
  const double scale = max_norm / (norm + 1e-6);
  if (scale < 1.0)
    for (Tensor& g : grads) {
      float* d = g.data<float>();
      for (int64_t j = 0; j < g.numel(); ++j) d[j] = float(double(d[j]) * scale);
    }
  return norm;
}

}  // namespace shrink::train
