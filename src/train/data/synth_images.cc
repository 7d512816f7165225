// The synthetic image task: each sample is one shape of its class (synth_shapes.cc), drawn
// anti-aliased (coverage from the signed distance) under a random affine map, over a gradient
// background with clutter lines and blobs, then pixel noise. Every sample has its own Rng derived
// from (seed, index), so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/rng.h"
#include "core/threads.h"
#include "train/data/synth.h"
#include "train/data/synth_shapes.h"

namespace shrink::train {
namespace {

struct Color {
  float c[3];
  float luma() const { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; }
};

Color random_color(Rng& r) { return {{r.uniform(0.f, 1.f), r.uniform(0.f, 1.f), r.uniform(0.f, 1.f)}}; }

struct Canvas {
  int64_t size, channels;
  float* px;  // [channels, size, size]
  void blend(int64_t y, int64_t x, const Color& col, float a) {
    for (int64_t c = 0; c < channels; ++c) {
      float& v = px[(c * size + y) * size + x];
      float target = channels == 1 ? col.luma() : col.c[c];
      v += (target - v) * a;
    }
  }
};

float segment_distance(float px, float py, float ax, float ay, float bx, float by) {
  float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  float t = len2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.f, 1.f) : 0.f;
  return std::hypot(px - ax - t * dx, py - ay - t * dy);
}

void draw_line(Canvas& cv, Rng& r) {
  float s = float(cv.size);
  float ax = r.uniform(0.f, s), ay = r.uniform(0.f, s), bx = r.uniform(0.f, s), by = r.uniform(0.f, s);
  float half = r.uniform(0.3f, 0.9f), alpha = r.uniform(0.4f, 0.9f);
  Color col = random_color(r);
  for (int64_t y = 0; y < cv.size; ++y)
    for (int64_t x = 0; x < cv.size; ++x) {
      float d = segment_distance(float(x) + 0.5f, float(y) + 0.5f, ax, ay, bx, by);
      float cov = std::clamp(half + 0.5f - d, 0.f, 1.f);
      if (cov > 0) cv.blend(y, x, col, cov * alpha);
    }
}

void draw_blob(Canvas& cv, Rng& r) {
  float s = float(cv.size);
  float cx = r.uniform(0.f, s), cy = r.uniform(0.f, s), rad = r.uniform(0.06f, 0.16f) * s;
  float alpha = r.uniform(0.3f, 0.7f);
  Color col = random_color(r);
  for (int64_t y = 0; y < cv.size; ++y)
    for (int64_t x = 0; x < cv.size; ++x) {
      float dx = float(x) + 0.5f - cx, dy = float(y) + 0.5f - cy;
      float a = alpha * std::exp(-(dx * dx + dy * dy) / (2 * rad * rad));
      if (a > 1e-3f) cv.blend(y, x, col, a);
    }
}

void draw_shape(Canvas& cv, Rng& r, int64_t label, const Color& fg) {
  float s = float(cv.size);
  float scale = r.uniform(0.2f, 0.36f) * s;  // pixels per shape unit
  float aspect = r.uniform(0.8f, 1.2f);
  float angle = r.uniform(-0.44f, 0.44f);     // about +-25 degrees
  float cx = s * (0.5f + r.uniform(-0.16f, 0.16f)), cy = s * (0.5f + r.uniform(-0.16f, 0.16f));
  float alpha = r.uniform(0.75f, 1.f);
  float ca = std::cos(angle), sa = std::sin(angle);
  synth::Sdf sdf = synth::shape_class(label).sdf;
  for (int64_t y = 0; y < cv.size; ++y)
    for (int64_t x = 0; x < cv.size; ++x) {
      // Pixel centre back into shape units: inverse translation, rotation, then scale.
      float dx = float(x) + 0.5f - cx, dy = float(y) + 0.5f - cy;
      float ux = (ca * dx + sa * dy) / (scale * aspect), uy = (-sa * dx + ca * dy) / (scale / aspect);
      float cov = std::clamp(0.5f - sdf(ux, uy) * scale, 0.f, 1.f);
      if (cov > 0) cv.blend(y, x, fg, cov * alpha);
    }
}

void render(Canvas& cv, Rng& r, int64_t label) {
  Color bg = random_color(r), bg2 = random_color(r);
  float gx = r.uniform(-1.f, 1.f), gy = r.uniform(-1.f, 1.f), amp = r.uniform(0.f, 0.35f);
  for (int64_t y = 0; y < cv.size; ++y)
    for (int64_t x = 0; x < cv.size; ++x) {
      float t = 0.5f + amp * (gx * (float(x) / float(cv.size) - 0.5f) + gy * (float(y) / float(cv.size) - 0.5f));
      for (int64_t c = 0; c < cv.channels; ++c) {
        float a = cv.channels == 1 ? bg.luma() : bg.c[c], b = cv.channels == 1 ? bg2.luma() : bg2.c[c];
        cv.px[(c * cv.size + y) * cv.size + x] = a + (b - a) * (t - 0.5f);
      }
    }
  int lines = int(r.below(4)), blobs = int(r.below(3));
  for (int i = 0; i < blobs; ++i) draw_blob(cv, r);
  for (int i = 0; i < lines; ++i) draw_line(cv, r);
  // The shape must stand out from the background by some contrast; 8 tries, then the best.
  Color fg = random_color(r), best = fg;
  for (int i = 0; i < 8 && std::fabs(fg.luma() - bg.luma()) < 0.25f; ++i) {
    fg = random_color(r);
    if (std::fabs(fg.luma() - bg.luma()) > std::fabs(best.luma() - bg.luma())) best = fg;
  }
  if (std::fabs(fg.luma() - bg.luma()) < 0.25f) fg = best;
  draw_shape(cv, r, label, fg);
  if (r.uniform() < 0.3) draw_line(cv, r);  // occluder over the shape
  float sigma = r.uniform(0.02f, 0.1f);
  for (int64_t i = 0; i < cv.channels * cv.size * cv.size; ++i)
    cv.px[i] = std::clamp(cv.px[i] + sigma * float(r.normal()), 0.f, 1.f);
}

}  // namespace

uint64_t derive_seed(uint64_t seed, std::string_view split) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the split name, mixed with the seed
  for (char c : split) h = (h ^ uint8_t(c)) * 1099511628211ull;
  return Rng(seed ^ h).next_u64();
}

std::string_view synth_image_class_name(int64_t c) { return synth::shape_class(c).name; }

Dataset synth_images(int64_t n, uint64_t seed, const SynthImageOptions& o) {
  SHRINK_CHECK(n >= 0 && n <= (int64_t(1) << 24), "synthetic image count ", n, " is out of range [0, 2^24]");
  SHRINK_CHECK(o.size >= 16 && o.size <= 64, "synthetic image size ", o.size, " is out of range [16, 64]");
  SHRINK_CHECK(o.channels == 1 || o.channels == 3, "synthetic images have 1 or 3 channels, not ", o.channels);
  Dataset d{Tensor(DType::kFloat32, {n, o.channels, o.size, o.size}), Tensor(DType::kInt64, {n})};
  int64_t* y = d.y.data<int64_t>();
  std::iota(y, y + n, 0);
  Rng order(derive_seed(seed, "labels"));
  for (int64_t i = 0; i < n; ++i) y[i] %= kSynthImageClasses;
  for (int64_t i = n - 1; i > 0; --i) std::swap(y[i], y[order.below(uint64_t(i) + 1)]);
  float* x = d.x.data<float>();
  int64_t per = o.channels * o.size * o.size;
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Rng r(derive_seed(seed ^ uint64_t(i) * 0x9e3779b97f4a7c15ull, "image"));
      Canvas cv{o.size, o.channels, x + i * per};
      render(cv, r, y[i]);
    }
  });
  return d;
}

}  // namespace shrink::train
