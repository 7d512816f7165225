// The gradient rules, one function per op or op family (defined in this folder's files) and
// listed in table.cc.
#pragma once
#include "autograd/grad_context.h"

namespace shrink::autograd::rules {

using Grads = std::vector<std::string>;

// elementwise.cc
Grads add(GradContext& c);
Grads sub(GradContext& c);
Grads mul(GradContext& c);
Grads div(GradContext& c);
Grads pow(GradContext& c);
Grads neg(GradContext& c);
Grads identity(GradContext& c);
Grads sum(GradContext& c);
Grads cast(GradContext& c);
Grads where(GradContext& c);
Grads expand(GradContext& c);
// activation.cc
Grads activation(GradContext& c);
Grads softmax(GradContext& c);
Grads log_softmax(GradContext& c);
// linalg.cc
Grads matmul(GradContext& c);
Grads gemm(GradContext& c);
// conv.cc
Grads conv(GradContext& c);
Grads conv_transpose(GradContext& c);
// pool_norm.cc
Grads max_pool(GradContext& c);
Grads average_pool(GradContext& c);
Grads global_average_pool(GradContext& c);
Grads batch_norm(GradContext& c);
Grads layer_norm(GradContext& c);
// shape.cc
Grads reshape(GradContext& c);
Grads transpose(GradContext& c);
Grads concat(GradContext& c);
Grads split(GradContext& c);
Grads slice(GradContext& c);
Grads gather(GradContext& c);
// reduce.cc
Grads reduce_sum(GradContext& c);
Grads reduce_mean(GradContext& c);
// training_ops.cc
Grads train_dropout(GradContext& c);
Grads softmax_cross_entropy(GradContext& c);
Grads dropout(GradContext& c);

}  // namespace shrink::autograd::rules
