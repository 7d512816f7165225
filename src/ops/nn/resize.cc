// Resize: attribute parsing for every opset (10: X, scales; 11+: X, roi, scales, sizes; 18+: axes,
// antialias, keep_aspect_ratio_policy), output shape resolution and shape inference. The
// interpolation itself is in resize_kernel.cc.
#include <cmath>

#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/nn/resize.h"

namespace shrink::ops {

void resize_compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out);

namespace {

template <class E>
E pick(const ir::Node& node, const char* what, const std::string& s,
       std::initializer_list<std::pair<const char*, E>> options) {
  for (const auto& [name, v] : options)
    if (s == name) return v;
  fail_input(node.label(), " unknown ", what, " '", s, "'");
}

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<ResizeAttrs>();
  a->mode = pick<ResizeMode>(node, "mode", r.get_string("mode", "nearest"),
                             {{"nearest", ResizeMode::kNearest}, {"linear", ResizeMode::kLinear},
                              {"cubic", ResizeMode::kCubic}});
  if (opset < 11) {
    SHRINK_CHECK(a->mode != ResizeMode::kCubic, node.label(), " cubic mode needs opset >= 11");
    SHRINK_CHECK(node.inputs.size() <= 2, node.label(), " opset ", opset, " Resize takes X and scales");
    a->coord = ResizeCoord::kAsymmetric;
    a->nearest = NearestMode::kFloor;
    a->roi_input = -1, a->scales_input = 1, a->sizes_input = -1;
  } else {
    a->coord = pick<ResizeCoord>(node, "coordinate_transformation_mode",
                                 r.get_string("coordinate_transformation_mode", "half_pixel"),
                                 {{"half_pixel", ResizeCoord::kHalfPixel},
                                  {"half_pixel_symmetric", ResizeCoord::kHalfPixelSymmetric},
                                  {"pytorch_half_pixel", ResizeCoord::kPytorchHalfPixel},
                                  {"align_corners", ResizeCoord::kAlignCorners},
                                  {"asymmetric", ResizeCoord::kAsymmetric},
                                  {"tf_crop_and_resize", ResizeCoord::kTfCropAndResize}});
    SHRINK_CHECK(opset >= 19 || a->coord != ResizeCoord::kHalfPixelSymmetric, node.label(),
                 " half_pixel_symmetric needs opset >= 19");
    a->nearest = pick<NearestMode>(node, "nearest_mode", r.get_string("nearest_mode", "round_prefer_floor"),
                                   {{"round_prefer_floor", NearestMode::kRoundPreferFloor},
                                    {"round_prefer_ceil", NearestMode::kRoundPreferCeil},
                                    {"floor", NearestMode::kFloor},
                                    {"ceil", NearestMode::kCeil}});
    a->cubic_coeff_a = r.get_float("cubic_coeff_a", -0.75f);
    a->exclude_outside = r.get_int("exclude_outside", 0) != 0;
    a->extrapolation_value = r.get_float("extrapolation_value", 0.f);
  }
  if (opset >= 18) {
    a->antialias = r.get_int("antialias", 0) != 0;
    a->axes = r.get_ints("axes");
    a->policy = pick<AspectPolicy>(node, "keep_aspect_ratio_policy", r.get_string("keep_aspect_ratio_policy", "stretch"),
                                   {{"stretch", AspectPolicy::kStretch},
                                    {"not_larger", AspectPolicy::kNotLarger},
                                    {"not_smaller", AspectPolicy::kNotSmaller}});
  }
  r.done();
  return a;
}

const Tensor* input_at(std::span<const ValueMeta> in, int i) {
  return i >= 0 && size_t(i) < in.size() && in[size_t(i)].present() ? in[size_t(i)].value : nullptr;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<ResizeAttrs>();
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " bool input is not supported");
  auto present = [&](int i) { return i >= 0 && size_t(i) < in.size() && in[size_t(i)].present(); };
  for (int i : {a.scales_input, a.sizes_input}) {
    if (present(i) && !in[size_t(i)].value) return false;
  }
  if (present(a.scales_input)) require_float(node, in[size_t(a.scales_input)], a.scales_input);
  if (present(a.sizes_input))
    SHRINK_CHECK(in[size_t(a.sizes_input)].dtype == DType::kInt64, node.label(), " sizes must be int64");
  if (a.coord == ResizeCoord::kTfCropAndResize && present(a.roi_input) && !in[size_t(a.roi_input)].value)
    return false;
  const Tensor* scales = input_at(in, a.scales_input);
  if (scales && scales->numel() == 0) scales = nullptr;
  ResizePlan p = resolve_resize(node, a, in[0].shape, input_at(in, a.roi_input), scales, input_at(in, a.sizes_input));
  out[0] = ValueMeta{in[0].dtype, p.out_shape};
  return true;
}

}  // namespace

ResizePlan resolve_resize(const ir::Node& node, const ResizeAttrs& a, const Shape& x, const Tensor* roi,
                          const Tensor* scales, const Tensor* sizes) {
  const int64_t rank = int64_t(x.size());
  std::vector<int64_t> axes;
  if (a.axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  } else {
    for (int64_t ax : a.axes) {
      SHRINK_CHECK(ax >= -rank && ax < rank, node.label(), " axis ", ax, " out of range for rank ", rank);
      axes.push_back(ax < 0 ? ax + rank : ax);
    }
    for (size_t i = 0; i < axes.size(); ++i)
      for (size_t j = 0; j < i; ++j) SHRINK_CHECK(axes[i] != axes[j], node.label(), " repeated axis ", axes[i]);
  }
  const size_t k = axes.size();
  if (sizes && sizes->numel() == 0) sizes = nullptr;
  SHRINK_CHECK((scales != nullptr) != (sizes != nullptr), node.label(), " needs exactly one of scales and sizes");
  ResizePlan p;
  p.out_shape = x;
  p.scales.assign(size_t(rank), 1.0);
  p.roi_start.assign(size_t(rank), 0.0);
  p.roi_end.assign(size_t(rank), 1.0);
  if (roi && roi->numel() > 0 && a.coord == ResizeCoord::kTfCropAndResize) {
    SHRINK_CHECK(size_t(roi->numel()) == 2 * k, node.label(), " roi has ", roi->numel(), " values, expected ", 2 * k);
    for (size_t i = 0; i < k; ++i) {
      p.roi_start[size_t(axes[i])] = roi->as_double(int64_t(i));
      p.roi_end[size_t(axes[i])] = roi->as_double(int64_t(k + i));
    }
  }
  if (scales) {
    SHRINK_CHECK(size_t(scales->numel()) == k, node.label(), " scales has ", scales->numel(), " values, expected ", k);
    for (size_t i = 0; i < k; ++i) {
      const double s = scales->as_double(int64_t(i));
      SHRINK_CHECK(s > 0 && std::isfinite(s), node.label(), " scale ", s, " must be positive");
      const size_t ax = size_t(axes[i]);
      p.scales[ax] = s;
      double extent = double(x[ax]) * s;
      if (a.coord == ResizeCoord::kTfCropAndResize) extent *= p.roi_end[ax] - p.roi_start[ax];
      SHRINK_CHECK(extent >= 0 && extent < double(kMaxElements), node.label(), " output size too large");
      p.out_shape[ax] = int64_t(std::floor(extent));
    }
  } else {
    SHRINK_CHECK(size_t(sizes->numel()) == k, node.label(), " sizes has ", sizes->numel(), " values, expected ", k);
    std::vector<int64_t> sz = sizes->to_int64_vector();
    for (size_t i = 0; i < k; ++i) {
      SHRINK_CHECK(sz[i] >= 0 && sz[i] < kMaxElements, node.label(), " size ", sz[i], " out of range");
      SHRINK_CHECK(x[size_t(axes[i])] > 0 || sz[i] == 0, node.label(), " cannot resize an empty axis to ", sz[i]);
    }
    if (a.policy == AspectPolicy::kStretch) {
      for (size_t i = 0; i < k; ++i) {
        const size_t ax = size_t(axes[i]);
        p.out_shape[ax] = sz[i];
        p.scales[ax] = x[ax] > 0 ? double(sz[i]) / double(x[ax]) : 1.0;
      }
    } else {
      double s = a.policy == AspectPolicy::kNotLarger ? INFINITY : 0.0;
      for (size_t i = 0; i < k; ++i) {
        const double r = double(sz[i]) / double(x[size_t(axes[i])]);
        s = a.policy == AspectPolicy::kNotLarger ? std::min(s, r) : std::max(s, r);
      }
      for (size_t i = 0; i < k; ++i) {
        const size_t ax = size_t(axes[i]);
        p.scales[ax] = s;
        p.out_shape[ax] = int64_t(s * double(x[ax]) + 0.5);
      }
    }
  }
  for (int64_t d = 0; d < rank; ++d)
    SHRINK_CHECK(x[size_t(d)] > 0 || p.out_shape[size_t(d)] == 0, node.label(), " cannot resize an empty axis");
  checked_numel(p.out_shape, "Resize output");
  return p;
}

extern const OpSchema kResize{.op_type = "Resize", .min_inputs = 1, .max_inputs = 4, .since_opset = 10,
                              .parse = parse, .infer = infer, .compute = resize_compute};

}  // namespace shrink::ops
