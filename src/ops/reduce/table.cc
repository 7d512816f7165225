// The reduce op family's table.
#include "ops/families.h"

namespace shrink::ops {

std::vector<const OpSchema*> reduce_ops() {
  return {};
}

}  // namespace shrink::ops
