// The shape op family's table.
#include "ops/families.h"

namespace shrink::ops {

std::vector<const OpSchema*> shape_ops() {
  return {};
}

}  // namespace shrink::ops
