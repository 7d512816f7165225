// Conv/ConvTranspose attribute parsing and geometry resolution: explicit pads, auto_pad SAME_UPPER /
// SAME_LOWER / VALID, ConvTranspose output_shape / output_padding, all as in the ONNX spec and
// its reference implementation.
#include "ops/nn/conv.h"

#include <algorithm>

namespace shrink::ops {
namespace {

std::vector<int64_t> or_fill(const std::vector<int64_t>& v, size_t n, int64_t fill) {
  return v.empty() ? std::vector<int64_t>(n, fill) : v;
}

// Spatial pads of a SAME conv/pool output of ceil(in / stride).
void same_pads(AutoPad mode, int64_t in, int64_t stride, int64_t eff_kernel, int64_t& begin, int64_t& end) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride + eff_kernel - in);
  begin = mode == AutoPad::kSameUpper ? total / 2 : total - total / 2;
  end = total - begin;
}

// Checks ranks/lengths shared by Conv and ConvTranspose and fills kernel/strides/dilations.
ConvGeometry base_geometry(const ir::Node& node, const ConvAttrs& a, const Shape& x, const Shape& w) {
  SHRINK_CHECK(x.size() >= 3, node.label(), " input X must have rank >= 3 (N, C, spatial...), got ",
               shape_str(x));
  SHRINK_CHECK(w.size() == x.size(), node.label(), " weight W has shape ", shape_str(w), ", expected rank ",
               x.size());
  const size_t n = x.size() - 2;
  ConvGeometry g;
  g.batch = x[0];
  g.in_channels = x[1];
  g.group = a.group;
  g.in_spatial.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  if (!a.kernel_shape.empty()) {
    SHRINK_CHECK(a.kernel_shape == g.kernel, node.label(), " kernel_shape ", shape_str(a.kernel_shape),
                 " does not match W ", shape_str(w));
  }
  for (size_t i = 0; i < n; ++i) SHRINK_CHECK(g.kernel[i] > 0, node.label(), " empty kernel ", shape_str(w));
  g.strides = or_fill(a.strides, n, 1);
  g.dilations = or_fill(a.dilations, n, 1);
  std::vector<int64_t> pads = or_fill(a.pads, 2 * n, 0);
  SHRINK_CHECK(g.strides.size() == n && g.dilations.size() == n && pads.size() == 2 * n, node.label(),
               " strides/dilations/pads do not match ", n, " spatial dims");
  for (size_t i = 0; i < n; ++i)
    SHRINK_CHECK(g.kernel[i] <= kMaxElements / g.dilations[i] && g.in_spatial[i] <= kMaxElements / g.strides[i],
                 node.label(), " kernel, dilations or strides too large");
  g.pad_begin.assign(pads.begin(), pads.begin() + long(n));
  g.pad_end.assign(pads.begin() + long(n), pads.end());
  return g;
}

}  // namespace

Shape ConvGeometry::output_shape() const {
  Shape s{batch, out_channels};
  s.insert(s.end(), out_spatial.begin(), out_spatial.end());
  return s;
}

AutoPad parse_auto_pad(const ir::Node& node, const std::string& s) {
  if (s == "NOTSET") return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  fail_input(node.label(), " unknown auto_pad '", s, "'");
}

void parse_conv_common(const ir::Node& node, AttrReader& r, ConvAttrs& a) {
  a.kernel_shape = r.get_ints("kernel_shape");
  a.strides = r.get_ints("strides");
  a.pads = r.get_ints("pads");
  a.dilations = r.get_ints("dilations");
  a.group = r.get_int("group", 1);
  a.auto_pad = parse_auto_pad(node, r.get_string("auto_pad", "NOTSET"));
  SHRINK_CHECK(a.group >= 1, node.label(), " group=", a.group, " must be >= 1");
  for (int64_t v : a.kernel_shape) SHRINK_CHECK(v >= 1, node.label(), " kernel_shape must be positive");
  for (int64_t v : a.strides) SHRINK_CHECK(v >= 1, node.label(), " strides must be positive");
  for (int64_t v : a.dilations) SHRINK_CHECK(v >= 1, node.label(), " dilations must be positive");
  for (int64_t v : a.pads) SHRINK_CHECK(v >= 0, node.label(), " pads must be non-negative");
  for (const auto* v : {&a.kernel_shape, &a.strides, &a.pads, &a.dilations})
    for (int64_t x : *v) SHRINK_CHECK(x <= (int64_t(1) << 31), node.label(), " attribute value ", x, " is too large");
  SHRINK_CHECK(a.pads.size() % 2 == 0, node.label(), " pads needs begin and end values");
}

ConvGeometry resolve_conv(const ir::Node& node, const ConvAttrs& a, const Shape& x, const Shape& w) {
  ConvGeometry g = base_geometry(node, a, x, w);
  SHRINK_CHECK(x[1] % a.group == 0, node.label(), " group=", a.group, " does not divide C=", x[1]);
  SHRINK_CHECK(w[1] * a.group == x[1], node.label(), " W has ", w[1], " input channels per group, expected ",
               x[1] / a.group);
  SHRINK_CHECK(w[0] % a.group == 0, node.label(), " group=", a.group, " does not divide M=", w[0]);
  g.out_channels = w[0];
  for (size_t i = 0; i < g.kernel.size(); ++i) {
    const int64_t eff = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower)
      same_pads(a.auto_pad, g.in_spatial[i], g.strides[i], eff, g.pad_begin[i], g.pad_end[i]);
    else if (a.auto_pad == AutoPad::kValid)
      g.pad_begin[i] = g.pad_end[i] = 0;
    const int64_t span = g.in_spatial[i] + g.pad_begin[i] + g.pad_end[i] - eff;
    SHRINK_CHECK(span >= 0, node.label(), " kernel ", shape_str(g.kernel), " does not fit input ", shape_str(x));
    g.out_spatial.push_back(span / g.strides[i] + 1);
  }
  return g;
}

ConvGeometry resolve_conv_transpose(const ir::Node& node, const ConvTransposeAttrs& a, const Shape& x,
                                    const Shape& w) {
  ConvGeometry g = base_geometry(node, a, x, w);
  const size_t n = g.kernel.size();
  SHRINK_CHECK(w[0] == x[1], node.label(), " W has ", w[0], " input channels, X has ", x[1]);
  SHRINK_CHECK(x[1] % a.group == 0, node.label(), " group=", a.group, " does not divide C=", x[1]);
  g.out_channels = w[1] * a.group;
  g.output_padding = or_fill(a.output_padding, n, 0);
  SHRINK_CHECK(g.output_padding.size() == n, node.label(), " output_padding does not match ", n, " spatial dims");
  std::vector<int64_t> target = a.output_shape;
  if (target.size() == n + 2) target.erase(target.begin(), target.begin() + 2);
  SHRINK_CHECK(target.empty() || target.size() == n, node.label(), " output_shape does not match ", n,
               " spatial dims");
  const bool same = a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower;
  if (target.empty() && same)
    for (size_t i = 0; i < n; ++i) target.push_back(g.in_spatial[i] * g.strides[i]);
  for (size_t i = 0; i < n; ++i) {
    const int64_t eff = (g.kernel[i] - 1) * g.dilations[i] + 1;
    const int64_t full = g.strides[i] * (g.in_spatial[i] - 1) + g.output_padding[i] + eff;
    if (!target.empty()) {
      const int64_t total = full - target[i];
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor, as Python's //
      g.pad_begin[i] = a.auto_pad == AutoPad::kSameUpper ? half : total - half;
      g.pad_end[i] = total - g.pad_begin[i];
    } else if (a.auto_pad == AutoPad::kValid) {
      g.pad_begin[i] = g.pad_end[i] = 0;
    }
    const int64_t out = full - g.pad_begin[i] - g.pad_end[i];
    SHRINK_CHECK(out >= 1, node.label(), " output size ", out, " along spatial dim ", i, " is not positive");
    g.out_spatial.push_back(out);
  }
  return g;
}

}  // namespace shrink::ops
