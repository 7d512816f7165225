// The nn_grad op family's table: com.shrink gradient ops of the NN layers, emitted by the autodiff
// (src/autograd) with the forward node's attributes copied verbatim.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kConvGradInput, kConvGradWeight, kMaxPoolGrad, kAveragePoolGrad, kGlobalAveragePoolGrad,
    kBatchNormTrainGrad, kLayerNormGrad;

std::vector<const OpSchema*> nn_grad_ops() {
  return {&kConvGradInput,         &kConvGradWeight,     &kMaxPoolGrad,  &kAveragePoolGrad,
          &kGlobalAveragePoolGrad, &kBatchNormTrainGrad, &kLayerNormGrad};
}

}  // namespace shrink::ops
