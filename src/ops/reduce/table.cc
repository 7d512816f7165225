// The reduce op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kReduceMax, kReduceMean, kReduceSum;

extern const OpSchema kReduceMin, kReduceProd, kReduceL2, kReduceSumSquare, kReduceLogSumExp;

std::vector<const OpSchema*> reduce_ops() {
  return {&kReduceMax, &kReduceMean, &kReduceSum,
          &kReduceMin, &kReduceProd, &kReduceL2, &kReduceSumSquare, &kReduceLogSumExp};
}

}  // namespace shrink::ops
