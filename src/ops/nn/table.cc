// The nn op family's table.
#include "ops/families.h"

namespace shrink::ops {

// linear algebra, softmax, layer norm
extern const OpSchema kEinsum, kGemm, kMatMul, kSoftmax, kLogSoftmax, kLayerNormalization;

std::vector<const OpSchema*> nn_ops() {
  return {
      // linear algebra, softmax, layer norm
      &kEinsum, &kGemm, &kMatMul, &kSoftmax, &kLogSoftmax, &kLayerNormalization,
  };
}

}  // namespace shrink::ops
