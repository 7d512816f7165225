// The built-in example model used by `shrink demo`: a small seeded CNN classifier for 3x32x32
// images (Conv-BN-Relu x2 with pooling, global pooling, Gemm), in standard ONNX opset 17.
#pragma once
#include <cstdint>

#include "ir/graph.h"

namespace shrink::cli {

ir::Graph example_cnn(uint64_t seed = 0);

}  // namespace shrink::cli
