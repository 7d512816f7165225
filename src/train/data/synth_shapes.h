// The ten shape classes of the synthetic image task as signed distance functions in unit
// coordinates (the shape spans about [-1, 1]; negative inside). Internal to synth_images.cc.
#pragma once
#include <cstdint>
#include <string_view>

namespace shrink::train::synth {

using Sdf = float (*)(float x, float y);

struct ShapeClass {
  std::string_view name;
  Sdf sdf;
};

// One row per class; the row index is the label.
const ShapeClass& shape_class(int64_t label);

}  // namespace shrink::train::synth
