// The unary op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kRelu;

std::vector<const OpSchema*> unary_ops() {
  return {&kRelu};
}

}  // namespace shrink::ops
