// DataLoader: every sample once per epoch, order a pure function of (seed, epoch), partial last
// batch, normalization, augmentation (flip is an exact mirror, crop keeps shape); check_fits.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "core/threads.h"
#include "train/data/loader.h"

namespace shrink::train {
namespace {

// n images [n,2,3,4] whose pixels encode (sample, channel, y, x), labels i % 3.
Dataset images(int64_t n) {
  Dataset d{Tensor(DType::kFloat32, {n, 2, 3, 4}), Tensor(DType::kInt64, {n})};
  for (int64_t i = 0; i < d.x.numel(); ++i) d.x.data<float>()[i] = float(i % 24 + 1) + 100.f * float(i / 24);
  for (int64_t i = 0; i < n; ++i) d.y.data<int64_t>()[i] = i % 3;
  return d;
}

std::vector<int64_t> epoch_order(DataLoader& dl, int64_t epoch) {
  dl.start_epoch(epoch);
  std::vector<int64_t> all;
  Batch b;
  while (dl.next(b)) all.insert(all.end(), b.indices.begin(), b.indices.end());
  return all;
}

TEST(DataLoader, EverySampleOncePerEpochAndSeededOrder) {
  Dataset d = images(23);
  DataLoader dl(d, {.batch = 5, .seed = 7});
  EXPECT_EQ(dl.num_batches(), 5);
  std::vector<int64_t> e0 = epoch_order(dl, 0), e1 = epoch_order(dl, 1);
  std::vector<int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 23; ++i) EXPECT_EQ(sorted[size_t(i)], i);
  EXPECT_NE(e0, e1);
  DataLoader again(d, {.batch = 4, .seed = 7});
  EXPECT_EQ(epoch_order(again, 1), e1);  // independent of batch size and of earlier epochs
  DataLoader other(d, {.batch = 5, .seed = 8});
  EXPECT_NE(epoch_order(other, 0), e0);
  DataLoader plain(d, {.batch = 5, .shuffle = false});
  std::vector<int64_t> p = epoch_order(plain, 3);
  for (int64_t i = 0; i < 23; ++i) EXPECT_EQ(p[size_t(i)], i);
}

TEST(DataLoader, BatchContentsAndPartialLast) {
  Dataset d = images(7);
  DataLoader dl(d, {.batch = 3, .seed = 1});
  Batch b;
  std::vector<int64_t> sizes;
  while (dl.next(b)) {
    sizes.push_back(b.x.dim(0));
    EXPECT_EQ(b.x.shape(), (Shape{b.x.dim(0), 2, 3, 4}));
    for (int64_t i = 0; i < b.x.dim(0); ++i) {
      int64_t src = b.indices[size_t(i)];
      EXPECT_EQ(b.y.data<int64_t>()[i], src % 3);
      EXPECT_EQ(b.x.data<float>()[i * 24 + 5], d.x.data<float>()[src * 24 + 5]);
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
  DataLoader drop(d, {.batch = 3, .drop_last = true});
  EXPECT_EQ(drop.num_batches(), 2);
  EXPECT_EQ(epoch_order(drop, 0).size(), 6u);
}

TEST(DataLoader, Normalization) {
  Dataset d = images(2);
  DataLoader dl(d, {.batch = 2, .shuffle = false, .mean = {1.f, 2.f}, .std = {2.f, 4.f}});
  Batch b;
  ASSERT_TRUE(dl.next(b));
  for (int64_t i = 0; i < b.x.numel(); ++i) {
    int64_t c = (i / 12) % 2;
    float want = (d.x.data<float>()[i] - (c ? 2.f : 1.f)) / (c ? 4.f : 2.f);
    EXPECT_FLOAT_EQ(b.x.data<float>()[i], want);
  }
  EXPECT_THROW(DataLoader(d, {.mean = {1, 2, 3}, .std = {1, 1, 1}}), Error);
  EXPECT_THROW(DataLoader(d, {.mean = {1}, .std = {0}}), Error);
}

TEST(DataLoader, FlipIsExactMirrorAndCropKeepsShape) {
  Dataset d = images(64);
  DataLoader dl(d, {.batch = 64, .seed = 3, .hflip = true});
  Batch b;
  ASSERT_TRUE(dl.next(b));
  int flipped = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const float* out = b.x.data<float>() + i * 24;
    const float* in = d.x.data<float>() + b.indices[size_t(i)] * 24;
    bool same = std::equal(out, out + 24, in), mirror = true;
    for (int64_t r = 0; r < 6; ++r)
      for (int64_t x = 0; x < 4; ++x) mirror = mirror && out[r * 4 + x] == in[r * 4 + 3 - x];
    EXPECT_TRUE(same || mirror);
    flipped += !same;
  }
  EXPECT_GT(flipped, 16);
  EXPECT_LT(flipped, 48);
  DataLoader crop(d, {.batch = 64, .seed = 3, .crop_padding = 2});
  ASSERT_TRUE(crop.next(b));
  EXPECT_EQ(b.x.shape(), d.x.shape());
  int shifted = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const float* out = b.x.data<float>() + i * 24;
    const float* in = d.x.data<float>() + b.indices[size_t(i)] * 24;
    shifted += !std::equal(out, out + 24, in);
    // Every pixel is either padding (0) or a pixel of the same sample and channel.
    for (int64_t j = 0; j < 24; ++j)
      EXPECT_TRUE(out[j] == 0.f || std::find(in + (j / 12) * 12, in + (j / 12) * 12 + 12, out[j]) != in + (j / 12) * 12 + 12);
  }
  EXPECT_GT(shifted, 32);
  EXPECT_THROW(DataLoader(Dataset{Tensor(DType::kInt64, {2, 5}), Tensor()}, {.hflip = true}), Error);
}

TEST(DataLoader, SameBatchesForAnyThreadCount) {
  Dataset d = images(40);
  LoaderOptions o{.batch = 16, .seed = 9, .mean = {0.5f}, .std = {2.f}, .crop_padding = 1, .hflip = true};
  auto run = [&](int threads) {
    set_num_threads(threads);
    DataLoader dl(d, o);
    dl.start_epoch(2);
    Batch b;
    std::vector<float> all;
    while (dl.next(b)) all.insert(all.end(), b.x.data<float>(), b.x.data<float>() + b.x.numel());
    return all;
  };
  std::vector<float> one = run(1), two = run(2);
  set_num_threads(1);
  EXPECT_EQ(one, two);
}

TEST(DataCheckFits, ShapeDtypeAndLabels) {
  Dataset d = images(6);
  EXPECT_NO_THROW(check_fits(d, {2, 3, 4}, DType::kFloat32, 3));
  EXPECT_NO_THROW(check_fits(d, {2, -1, -1}, DType::kFloat32, 0));
  EXPECT_THROW(check_fits(d, {3, 3, 4}, DType::kFloat32, 3), Error);
  EXPECT_THROW(check_fits(d, {2, 12}, DType::kFloat32, 3), Error);
  EXPECT_THROW(check_fits(d, {2, 3, 4}, DType::kInt64, 3), Error);
  try {
    check_fits(d, {2, 3, 4}, DType::kFloat32, 2);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("2 classes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace shrink::train
