// The shape op family's table: data movement and shape computation.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kConcat, kConstant, kConstantOfShape, kDropout, kExpand, kFlatten, kGather, kIdentity, kPad,
    kRange, kReshape, kShape, kSlice, kSplit, kSqueeze, kTile, kTranspose, kUnsqueeze;

extern const OpSchema kSize;

std::vector<const OpSchema*> shape_ops() {
  return {&kConcat, &kConstant, &kConstantOfShape, &kDropout, &kExpand, &kFlatten, &kGather, &kIdentity, &kPad,
          &kRange,  &kReshape,  &kShape,           &kSlice,   &kSplit,  &kSqueeze, &kTile,   &kTranspose, &kUnsqueeze,
          &kSize};
}

}  // namespace shrink::ops
