// Softmax / LogSoftmax typed attributes, read by the reference kernel (softmax.cc) and the
// oneDNN softmax kernel.
#pragma once
#include <cstdint>

#include "ir/attribute.h"

namespace shrink::ops {

struct SoftmaxAttrs : ir::OpAttrs {
  int64_t axis = -1;        // as written (may be negative); normalize against the input rank
  bool coerce_2d = false;   // opset < 13: normalize over all dims from `axis` on, flattened as one
};

// The input viewed as [outer, n, inner] with the softmax taken over n.
struct SoftmaxGeometry {
  int64_t outer = 1, n = 1, inner = 1;
};
SoftmaxGeometry softmax_geometry(const SoftmaxAttrs& a, const Shape& shape, const std::string& label);

}  // namespace shrink::ops
