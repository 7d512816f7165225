// The gradient op family's table: com.shrink ops that autodiff emits for the backward pass, the
// losses and the training-mode ops (ops/grad/grad_attrs.h has their typed attributes).
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kSumToShape, kActivationGrad, kSoftmaxGrad, kLogSoftmaxGrad, kSoftmaxCrossEntropy,
    kSoftmaxCrossEntropyGrad, kTrainDropout, kDropoutGrad, kGatherGrad, kReduceGrad, kSliceGrad, kConcatGrad;

std::vector<const OpSchema*> grad_ops() {
  return {&kSumToShape,  &kActivationGrad, &kSoftmaxGrad, &kLogSoftmaxGrad, &kSoftmaxCrossEntropy,
          &kSoftmaxCrossEntropyGrad, &kTrainDropout, &kDropoutGrad, &kGatherGrad, &kReduceGrad,
          &kSliceGrad,   &kConcatGrad};
}

}  // namespace shrink::ops
