// The internal (com.shrink) op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kFusedConv;

std::vector<const OpSchema*> internal_ops() {
  return {&kFusedConv};
}

}  // namespace shrink::ops
