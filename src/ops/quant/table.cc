// The quant op family's table.
#include "ops/families.h"

namespace shrink::ops {

std::vector<const OpSchema*> quant_ops() {
  return {};
}

}  // namespace shrink::ops
