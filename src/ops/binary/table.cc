// The binary op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kAdd;

std::vector<const OpSchema*> binary_ops() {
  return {&kAdd};
}

}  // namespace shrink::ops
