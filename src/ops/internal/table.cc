// The internal (com.shrink) op family's table.
#include "ops/families.h"

namespace shrink::ops {

std::vector<const OpSchema*> internal_ops() {
  return {};
}

}  // namespace shrink::ops
