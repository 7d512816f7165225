// The unary op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kRelu, kAbs, kNeg, kSqrt, kReciprocal, kExp, kLog, kErf, kTanh, kSigmoid;
extern const OpSchema kLeakyRelu, kHardSigmoid, kHardSwish, kGelu, kClip, kCast;

extern const OpSchema kCeil, kFloor, kRound, kSign, kNot, kCastLike;

std::vector<const OpSchema*> unary_ops() {
  return {&kRelu, &kAbs, &kNeg, &kSqrt, &kReciprocal, &kExp, &kLog, &kErf, &kTanh, &kSigmoid,
          &kLeakyRelu, &kHardSigmoid, &kHardSwish, &kGelu, &kClip, &kCast,
          &kCeil, &kFloor, &kRound, &kSign, &kNot, &kCastLike};
}

}  // namespace shrink::ops
