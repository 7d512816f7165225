// Signed distance functions of the ten synthetic shape classes. Classes that a rotation would
// confuse (square/diamond, plus/X, horizontal/vertical bars) stay apart because the renderer
// rotates by at most 25 degrees and the diamond is an outline while the square is filled.
#include "train/data/synth_shapes.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "train/data/synth.h"

namespace shrink::train::synth {
namespace {

float box(float x, float y, float hx, float hy) {
  float dx = std::fabs(x) - hx, dy = std::fabs(y) - hy;
  float out = std::hypot(std::max(dx, 0.f), std::max(dy, 0.f));
  return out + std::min(std::max(dx, dy), 0.f);
}

float circle(float x, float y) { return std::hypot(x, y) - 0.8f; }
float ring(float x, float y) { return std::fabs(std::hypot(x, y) - 0.68f) - 0.17f; }
float square(float x, float y) { return box(x, y, 0.68f, 0.68f); }
float plus(float x, float y) { return std::min(box(x, y, 0.9f, 0.2f), box(x, y, 0.2f, 0.9f)); }
float cross(float x, float y) {
  constexpr float c = 0.70710678f;
  return plus(c * (x + y), c * (y - x));
}
float hbars(float x, float y) { return std::min(box(x, y - 0.45f, 0.85f, 0.17f), box(x, y + 0.45f, 0.85f, 0.17f)); }
float vbars(float x, float y) { return hbars(y, x); }
float diamond(float x, float y) { return std::fabs((std::fabs(x) + std::fabs(y) - 0.85f) * 0.70710678f) - 0.12f; }
float ell(float x, float y) { return std::min(box(x + 0.55f, y, 0.2f, 0.85f), box(x, y - 0.65f, 0.75f, 0.2f)); }

// Equilateral triangle pointing up (image y grows downwards), circumradius about 1.
float triangle(float x, float y) {
  constexpr float k = 1.7320508f, r = 0.85f;
  float px = std::fabs(x) - r, py = -y - 0.1f + r / k;
  if (px + k * py > 0.f) {
    float nx = (px - k * py) * 0.5f, ny = (-k * px - py) * 0.5f;
    px = nx, py = ny;
  }
  px -= std::clamp(px, -2.f * r, 0.f);
  return -std::hypot(px, py) * (py < 0.f ? -1.f : 1.f);
}

constexpr ShapeClass kShapes[] = {
    {"circle", circle}, {"ring", ring},   {"square", square}, {"triangle", triangle}, {"plus", plus},
    {"x", cross},       {"hbars", hbars}, {"vbars", vbars},   {"diamond", diamond},   {"L", ell},
};
static_assert(std::size(kShapes) == kSynthImageClasses);

}  // namespace

const ShapeClass& shape_class(int64_t label) {
  SHRINK_ASSERT(label >= 0 && label < kSynthImageClasses, "shape class ", label);
  return kShapes[label];
}

}  // namespace shrink::train::synth
