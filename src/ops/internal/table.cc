// The internal (com.shrink) op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kFusedConv, kQConv, kQMatMul;

std::vector<const OpSchema*> internal_ops() {
  return {&kFusedConv, &kQConv, &kQMatMul};
}

}  // namespace shrink::ops
