// The binary op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kAdd, kSub, kMul, kDiv, kPow;
extern const OpSchema kEqual, kLess, kGreater, kWhere;
extern const OpSchema kMin, kMax, kSum, kMean;

extern const OpSchema kAnd, kOr, kXor, kMod, kLessOrEqual, kGreaterOrEqual;

std::vector<const OpSchema*> binary_ops() {
  return {&kAdd, &kSub, &kMul, &kDiv, &kPow, &kEqual, &kLess, &kGreater, &kWhere, &kMin, &kMax, &kSum, &kMean,
          &kAnd, &kOr, &kXor, &kMod, &kLessOrEqual, &kGreaterOrEqual};
}

}  // namespace shrink::ops
