// The quant op family's table.
#include "ops/families.h"

namespace shrink::ops {

extern const OpSchema kQuantizeLinear, kDequantizeLinear, kDynamicQuantizeLinear, kMatMulInteger, kQLinearMatMul;
extern const OpSchema kConvInteger, kQLinearConv;

std::vector<const OpSchema*> quant_ops() {
  return {&kQuantizeLinear, &kDequantizeLinear, &kDynamicQuantizeLinear, &kMatMulInteger, &kQLinearMatMul,
          &kConvInteger, &kQLinearConv};
}

}  // namespace shrink::ops
