// The nn op family's table.
#include "ops/families.h"

namespace shrink::ops {

// conv, pooling, normalization, resize
extern const OpSchema kConv, kConvTranspose, kMaxPool, kAveragePool, kGlobalAveragePool, kGlobalMaxPool,
    kBatchNormalization, kResize;
// linear algebra, softmax, layer norm
extern const OpSchema kEinsum, kGemm, kMatMul, kSoftmax, kLogSoftmax, kLayerNormalization;

std::vector<const OpSchema*> nn_ops() {
  return {
      // conv, pooling, normalization, resize
      &kConv, &kConvTranspose, &kMaxPool, &kAveragePool, &kGlobalAveragePool, &kGlobalMaxPool,
      &kBatchNormalization, &kResize,
      // linear algebra, softmax, layer norm
      &kEinsum, &kGemm, &kMatMul, &kSoftmax, &kLogSoftmax, &kLayerNormalization,
  };
}

}  // namespace shrink::ops
