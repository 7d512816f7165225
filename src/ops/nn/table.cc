// The nn op family's table.
#include "ops/families.h"

namespace shrink::ops {

std::vector<const OpSchema*> nn_ops() {
  return {};
}

}  // namespace shrink::ops
