// Helpers shared by the quant op family: the integer types a quantized tensor may have, scale and
// zero-point checks (a zero, negative, NaN or infinite scale is bad input, naming the node), round
// half to even with saturation, and integer operands with their zero points subtracted.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "ops/common.h"
#include "ops/quant/quant_attrs.h"

namespace shrink::ops {

// uint8, int8, uint16, int16: the types QuantizeLinear may produce here.
bool is_quant_type(DType t);
// uint8 / int8 for the integer-arithmetic ops (MatMulInteger, ConvInteger, QLinear*).
bool is_int8_type(DType t);
// A clear refusal for a quantized type shrink does not handle (float8, int4, ...).
[[noreturn]] void refuse_quant_type(const ir::Node& node, const char* what, DType t);

// A data-type attribute (output_dtype, precision) as a DType; kUndefined for codes shrink does not
// hold. type_code_name names any code for error messages.
DType dtype_attr(int64_t code);
std::string type_code_name(int64_t code);

struct QuantRange {
  int64_t lo, hi;
};
QuantRange quant_range(DType t);

// Fails unless every element is finite and > 0.
void check_scales(const ir::Node& node, const Tensor& scale, const char* what);
// Same, during inference when the value is already known (a constant); no-op otherwise.
void check_scales(const ir::Node& node, const ValueMeta& scale, const char* what);
// Load-time check (OpSchema::validate): the inputs at `scale_inputs` that are constants hold valid
// scales, named `what` in errors.
void validate_scales(const ir::Node& node, std::span<const Tensor* const> constants,
                     std::initializer_list<std::pair<int, const char*>> scale_inputs);
// Load-time check (OpSchema::validate): for each (operand, zero point) input pair that are both
// constants (weights), the zero point has the operand's type (an int8 weight with a uint8 zero point
// would read 128 as -128).
void validate_zero_point_types(const ir::Node& node, std::span<const Tensor* const> constants,
                               std::initializer_list<std::pair<int, int>> operand_zero_point);
// Fails unless `v` is a float32/float16/bfloat16 tensor.
void require_scale_dtype(const ir::Node& node, const ValueMeta& v, const char* what);
// Fails unless `v` holds one element (a per-tensor parameter).
void require_single(const ir::Node& node, const Shape& s, const char* what);

// The scales as float after check_scales.
std::vector<float> read_scales(const ir::Node& node, const Tensor& scale, const char* what);
// Zero points as int32 (zeros when `zp` is undefined or absent); `count` entries are expected.
std::vector<int32_t> read_zero_points(const Tensor* zp, int64_t count);

// round(v) half to even, saturated to [lo, hi]; NaN counts as 0 (a defined result, not UB).
inline int64_t round_saturate(double v, double zero_point, QuantRange r) {
  double q = std::nearbyint(v);
  if (std::isnan(q)) q = 0;
  q += zero_point;
  if (q < double(r.lo)) return r.lo;
  if (q > double(r.hi)) return r.hi;
  return int64_t(q);
}

// Rounds a float to the precision of a 16-bit float type (identity for float32).
inline float round_to_precision(float v, DType p) {
  if (p == DType::kFloat16) return float(Half(v));
  if (p == DType::kBFloat16) return float(BFloat16(v));
  return v;
}

// Splits x's n elements over threads into runs inside one row of L's [outer, axis_len, inner] view:
// f(begin, end, p0), where element i of [begin, end) uses parameter p0 + L.param_step() * (i - begin).
template <class F>
void for_each_param_run(const QuantLayout& L, int64_t n, F f) {
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e;) {
      const int64_t r = i / L.inner, end = std::min(e, (r + 1) * L.inner);
      f(i, end, L.param_base(r / L.axis_len, r % L.axis_len) + L.param_step() * (i - r * L.inner));
      i = end;
    }
  });
}

// x (uint8/int8) as int32 minus its zero point. zp may be undefined (0), hold one element, or
// follow `zp_shape` (already checked to broadcast to x's shape).
Tensor subtract_zero_point(const Tensor& x, const Tensor& zp, const Shape& zp_shape);

}  // namespace shrink::ops
