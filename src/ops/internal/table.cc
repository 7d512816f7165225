// The internal (com.shrink) op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kFusedConv, kQConv, kQMatMul, kToBlocked, kFromBlocked, kBlockedFusedConv, kBlockedMaxPool,
    kBlockedAveragePool, kFusedMatMul, kQAdd, kNhwcQConv, kNhwcMaxPool, kMatMulIntegerScaled;

std::vector<const OpSchema*> internal_ops() {
  return {&kFusedConv,        &kQConv,          &kQMatMul,          &kToBlocked,
          &kFromBlocked,      &kBlockedFusedConv, &kBlockedMaxPool, &kBlockedAveragePool,
          &kFusedMatMul,      &kQAdd,           &kNhwcQConv,        &kNhwcMaxPool,
          &kMatMulIntegerScaled};
}

}  // namespace shrink::ops
