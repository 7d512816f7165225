// The op families; each family's table file lists its schemas. Adding an op = writing its file
// and adding one line to its family's table.
#pragma once
#include <vector>

#include "ops/op.h"

namespace shrink::ops {

std::vector<const OpSchema*> unary_ops();     // ops/unary/: elementwise one-input ops, Cast, Clip
std::vector<const OpSchema*> binary_ops();    // ops/binary/: broadcasting arithmetic, comparison, Where, variadic
std::vector<const OpSchema*> shape_ops();     // ops/shape/: data movement and shape computation
std::vector<const OpSchema*> nn_ops();        // ops/nn/: conv, pooling, normalization, matmul, softmax, resize
std::vector<const OpSchema*> reduce_ops();    // ops/reduce/: ReduceMean/Sum/Max
std::vector<const OpSchema*> quant_ops();     // ops/quant/: QuantizeLinear, ... (quantization issue)
std::vector<const OpSchema*> internal_ops();  // ops/internal/: com.shrink fused/internal ops
std::vector<const OpSchema*> grad_ops();      // ops/grad/: com.shrink gradient, loss and training-mode ops
std::vector<const OpSchema*> nn_grad_ops();   // ops/nn_grad/: com.shrink gradients of conv, pooling, normalization

}  // namespace shrink::ops
