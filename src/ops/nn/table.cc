// The nn op family's table.
#include "ops/families.h"

namespace shrink::ops {

// linear algebra, softmax, layer norm
extern const OpSchema kEinsum, kGemm, kMatMul, kSoftmax, kLogSoftmax, kLayerNormalization;
// conv, pooling, normalization, resize
extern const OpSchema kConv, kConvTranspose, kMaxPool, kAveragePool, kGlobalAveragePool, kGlobalMaxPool,
    kBatchNormalization, kResize;

std::vector<const OpSchema*> nn_ops() {
  return {
      // linear algebra, softmax, layer norm
      &kEinsum, &kGemm, &kMatMul, &kSoftmax, &kLogSoftmax, &kLayerNormalization,
      // conv, pooling, normalization, resize
      &kConv, &kConvTranspose, &kMaxPool, &kAveragePool, &kGlobalAveragePool, &kGlobalMaxPool,
      &kBatchNormalization, &kResize,
  };
}

}  // namespace shrink::ops
