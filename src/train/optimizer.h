// Optimizers as one parametrized core: SGD (momentum, dampening, Nesterov, L2 weight decay),
// Adam (L2 weight decay) and AdamW (decoupled weight decay), with PyTorch's update rules so that
// runs can be compared step for step. Also global-norm gradient clipping and parameter masks
// (pruned weights stay exactly zero through updates).
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"

namespace shrink::train {

enum class OptimizerKind { kSgd, kAdam, kAdamW };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;
  float momentum = 0.f;
  float dampening = 0.f;
  bool nesterov = false;
  float weight_decay = 0.f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
};

OptimizerKind parse_optimizer(const std::string& name);  // "sgd" | "adam" | "adamw"
const char* optimizer_name(OptimizerKind k);

class Optimizer {
 public:
  Optimizer(OptimizerConfig config, const std::vector<Tensor>& params);
  // One update of every parameter in place. grads[i] matches params[i]; masks[i] is undefined or
  // a 0/1 tensor of the parameter's shape. Deterministic, elementwise parallel.
  void step(std::vector<Tensor>& params, std::vector<Tensor>& grads, const std::vector<Tensor>& masks, float lr);
  int64_t steps() const { return t_; }
  // State for checkpoints: the step count and one or two buffers per parameter.
  std::vector<std::pair<std::string, Tensor>> state(const std::vector<std::string>& param_names) const;
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state, const std::vector<std::string>& param_names);
  const OptimizerConfig& config() const { return config_; }

 private:
  OptimizerConfig config_;
  std::vector<Tensor> m_, v_;  // momentum / first moment, second moment
  int64_t t_ = 0;
};

// Scales grads in place so that their global L2 norm is at most max_norm (as PyTorch's
// clip_grad_norm_); returns the norm before clipping.
double clip_grad_norm(std::vector<Tensor>& grads, double max_norm);
// The clipping step alone, for a caller that already has the norm.
void scale_to_max_norm(std::vector<Tensor>& grads, double norm, double max_norm);
// The global L2 norm of the gradients.
double grad_norm(const std::vector<Tensor>& grads);

}  // namespace shrink::train
