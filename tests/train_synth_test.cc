// The built-in synthetic datasets: deterministic from the seed, different across seeds and
// splits, balanced classes, values in range.
#include <gtest/gtest.h>

#include "core/threads.h"
#include "train/data/synth.h"

namespace shrink::train {
namespace {

std::vector<int64_t> histogram(const Dataset& d) {
  std::vector<int64_t> h(size_t(d.num_classes()), 0);
  for (int64_t i = 0; i < d.size(); ++i) ++h[size_t(d.y.data<int64_t>()[i])];
  return h;
}

TEST(SynthImages, DeterministicAndSeedSensitive) {
  Dataset a = synth_images(40, 5), b = synth_images(40, 5), c = synth_images(40, 6);
  EXPECT_TRUE(a.x.bit_equal(b.x));
  EXPECT_TRUE(a.y.bit_equal(b.y));
  EXPECT_FALSE(a.x.bit_equal(c.x));
  set_num_threads(2);
  Dataset t2 = synth_images(40, 5);
  set_num_threads(1);
  EXPECT_TRUE(a.x.bit_equal(t2.x));
  EXPECT_NE(derive_seed(0, "train"), derive_seed(0, "test"));
  EXPECT_NE(derive_seed(0, "train"), derive_seed(1, "train"));
}

TEST(SynthImages, ShapeRangeAndBalance) {
  Dataset d = synth_images(200, 1);
  EXPECT_EQ(d.x.shape(), (Shape{200, 3, 32, 32}));
  EXPECT_EQ(d.num_classes(), kSynthImageClasses);
  for (int64_t count : histogram(d)) EXPECT_EQ(count, 20);
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < d.x.numel(); ++i) {
    lo = std::min(lo, d.x.data<float>()[i]);
    hi = std::max(hi, d.x.data<float>()[i]);
  }
  EXPECT_GE(lo, 0.f);
  EXPECT_LE(hi, 1.f);
  EXPECT_GT(hi - lo, 0.5f);
  Dataset g = synth_images(25, 1, {.size = 28, .channels = 1});
  EXPECT_EQ(g.x.shape(), (Shape{25, 1, 28, 28}));
  EXPECT_EQ(synth_image_class_name(0), "circle");
  EXPECT_THROW(synth_images(5, 1, {.size = 32, .channels = 2}), Error);
  EXPECT_THROW(synth_images(-1, 1), Error);
}

TEST(SynthSequences, DeterministicBalancedAndWellFormed) {
  SynthSeqOptions o;
  Dataset a = synth_sequences(400, 3, o), b = synth_sequences(400, 3, o), c = synth_sequences(400, 4, o);
  EXPECT_TRUE(a.x.bit_equal(b.x));
  EXPECT_TRUE(a.y.bit_equal(b.y));
  EXPECT_FALSE(a.x.bit_equal(c.x));
  EXPECT_EQ(a.x.dtype(), DType::kInt64);
  EXPECT_EQ(a.x.shape(), (Shape{400, o.length}));
  for (int64_t count : histogram(a)) EXPECT_EQ(count, 400 / o.classes);
  // The label is the ordered pair of the first two key tokens (1..4), except for label_noise.
  const std::pair<int64_t, int64_t> pairs[] = {{1, 2}, {1, 3}, {1, 4}, {2, 1}, {2, 3}, {2, 4}, {3, 1}, {3, 2}};
  int64_t mislabelled = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    std::vector<int64_t> keys;
    for (int64_t t = 0; t < o.length; ++t) {
      int64_t tok = a.x.data<int64_t>()[i * o.length + t];
      ASSERT_TRUE(tok >= 1 && tok < o.vocab);
      if (tok <= 4) keys.push_back(tok);
    }
    ASSERT_GE(keys.size(), 2u);
    auto want = pairs[a.y.data<int64_t>()[i]];
    mislabelled += keys[0] != want.first || keys[1] != want.second;
  }
  EXPECT_GT(mislabelled, 0);
  EXPECT_LT(mislabelled, 40);  // about 4% of 400
  Dataset clean = synth_sequences(400, 3, {.label_noise = 0});
  for (int64_t i = 0; i < clean.size(); ++i) {
    std::vector<int64_t> keys;
    for (int64_t t = 0; t < o.length; ++t)
      if (clean.x.data<int64_t>()[i * o.length + t] <= 4) keys.push_back(clean.x.data<int64_t>()[i * o.length + t]);
    auto want = pairs[clean.y.data<int64_t>()[i]];
    EXPECT_EQ(keys[0], want.first);
    EXPECT_EQ(keys[1], want.second);
  }
  EXPECT_THROW(synth_sequences(10, 1, {.classes = 13}), Error);
  EXPECT_THROW(synth_sequences(10, 1, {.vocab = 5}), Error);
}

}  // namespace
}  // namespace shrink::train
