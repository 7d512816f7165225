// Typed attributes of Resize (opset 10 to 19+ semantics) and the resolution of its output shape and
// per-axis scales from the scales/sizes/roi inputs, shared by the reference kernel and any fast
// kernel (oneDNN resampling covers nearest/linear with some coordinate modes).
#pragma once
#include <vector>

#include "ops/op.h"

namespace shrink::ops {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class ResizeCoord { kHalfPixel, kHalfPixelSymmetric, kPytorchHalfPixel, kAlignCorners, kAsymmetric,
                         kTfCropAndResize };
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs : ir::OpAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  float cubic_coeff_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation_value = 0.f;
  bool antialias = false;
  std::vector<int64_t> axes;  // empty: all axes (opset 18+ attribute), as given (may be negative)
  AspectPolicy policy = AspectPolicy::kStretch;
  // Input positions: opset 10 is Resize(X, scales); later Resize(X, roi, scales, sizes).
  int roi_input = 1, scales_input = 2, sizes_input = 3;
};

// Output shape, and per axis (full rank) the scale factor and ROI used by the coordinate transform.
struct ResizePlan {
  Shape out_shape;
  std::vector<double> scales, roi_start, roi_end;
};

// Inputs indexed as the node's (null when absent or, for scales in opset 11/12, empty). Fails (bad
// input) naming the node on inconsistent or out-of-range scales/sizes/roi.
ResizePlan resolve_resize(const ir::Node& node, const ResizeAttrs& a, const Shape& x, const Tensor* roi,
                          const Tensor* scales, const Tensor* sizes);

}  // namespace shrink::ops
