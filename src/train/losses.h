// Loss functions as graph nodes appended to a model, so that autodiff differentiates them like
// any other op: cross-entropy (label smoothing, ignore index; the fused com.shrink
// SoftmaxCrossEntropy), the distillation soft loss KL(softmax(t/T) || softmax(s/T)) * T^2 with
// batchmean reduction (standard ops), and mean squared error.
#pragma once
#include <string>

#include "ir/graph.h"

namespace shrink::train {

struct CrossEntropyConfig {
  float label_smoothing = 0.f;
  int64_t ignore_index = -100;
};

// Each returns the name of the scalar loss value it adds to g. `dtype` is the logits' float type
// (float32 in training; float64 for finite-difference checks).
std::string add_cross_entropy(ir::Graph& g, const std::string& logits, const std::string& labels,
                              const CrossEntropyConfig& config = {});
// Seed's soft loss: KLDiv(log_softmax(s/T), softmax(t/T), batchmean) * T^2. Logits are [N, K].
std::string add_distillation_kl(ir::Graph& g, const std::string& student_logits, const std::string& teacher_logits,
                                float temperature, DType dtype = DType::kFloat32);
std::string add_mse(ir::Graph& g, const std::string& prediction, const std::string& target,
                    DType dtype = DType::kFloat32);
// a * wa + b * wb.
std::string add_weighted_sum(ir::Graph& g, const std::string& a, float wa, const std::string& b, float wb,
                             DType dtype = DType::kFloat32);

}  // namespace shrink::train
