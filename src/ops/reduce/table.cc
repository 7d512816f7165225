// The reduce op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kReduceMax, kReduceMean, kReduceSum;

std::vector<const OpSchema*> reduce_ops() {
  return {&kReduceMax, &kReduceMean, &kReduceSum};
}

}  // namespace shrink::ops
