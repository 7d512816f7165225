// Quantization parameters shared by the dynamic and static quantizers: the scale and zero point of
// an activation range (uint8 / int8, asymmetric), and symmetric int8 weights per tensor or per channel,
// scaled to their max |w| or to the clipping threshold that minimizes the squared rounding error.
// reduce_range keeps weights in [-64, 64] (7 bits): on AVX2 without VNNI the int8 kernels sum u8*s8
// pairs in int16, which is exact only for |w| <= 64 (docs/quantization.md).
#pragma once
#include <cstdint>
#include <string>

#include "compress/quant/observers.h"
#include "core/tensor.h"

namespace shrink::compress {

struct QuantParams {
  float scale = 1;
  int32_t zero_point = 0;
};

// Parameters mapping [min(lo, 0), max(hi, 0)] onto the full uint8 / int8 range; a range of width
// zero (a constant or all-zero tensor) gets scale 1. symmetric: the range [-m, m] with m = max(|lo|,
// |hi|), so the zero point is the type's middle (0 for int8, 128 for uint8), as ONNX Runtime's
// ActivationSymmetric.
QuantParams activation_params(Range r, DType type, bool symmetric = false);
// Scalar tensors holding p's scale (float32) and zero point (of `type`).
Tensor scale_tensor(float scale);
Tensor zero_point_tensor(int32_t zp, DType type);

// How a weight slice's scale is chosen: max |w| / qmax (nothing clipped), or the clipping threshold
// c = r * max |w| (r in 1, 0.99, ..., 0.5) minimizing sum (w - q(w))^2 over the slice, as NNCF, PPQ
// and AIMET do for low-bit weights: a few outliers clipped buy a finer step for all other weights.
enum class WeightScale { kMaxAbs, kMse };
// Name <-> enum for the CLI and reports ("max", "mse"); parse fails (bad input) on anything else.
WeightScale parse_weight_scale(const std::string& name);
const char* weight_scale_name(WeightScale s);

struct QuantizedWeight {
  Tensor q;      // int8, w's shape
  Tensor scale;  // float32: scalar, or [w.dim(axis)] per channel
  Tensor zp;     // int8 zeros of scale's shape
};

// Symmetric int8: w / scale rounded to [-qmax, qmax] with qmax = 64 (reduce_range) or 127, one scale
// per tensor (axis < 0) or per slice along `axis` (chosen by `method`); an all-zero slice gets scale 1.
QuantizedWeight quantize_weight(const Tensor& w, int64_t axis, bool reduce_range,
                                WeightScale method = WeightScale::kMaxAbs);
// sum (w - dequantize(quantize(w)))^2 over all of w: the weight error `q` leaves.
double weight_error(const Tensor& w, const QuantizedWeight& q, int64_t axis);

}  // namespace shrink::compress
