// The synthetic sequence task: tokens 1..4 are keys, the rest of the vocabulary (from 5) are
// distractors; token 0 is never used (free for padding). Each sequence holds two different keys
// at random positions, sometimes followed by a decoy key; the class is the ordered pair of the
// first two keys (pair (a,b) with a != b, numbered in lexicographic order), except that a
// label_noise fraction of samples is drawn from another class than its label.
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/rng.h"
#include "train/data/synth.h"

namespace shrink::train {
namespace {

constexpr int64_t kKeys = 4;
constexpr int64_t kFirstDistractor = kKeys + 1;

}  // namespace

Dataset synth_sequences(int64_t n, uint64_t seed, const SynthSeqOptions& o) {
  SHRINK_CHECK(n >= 0 && n <= (int64_t(1) << 24), "synthetic sequence count ", n, " is out of range [0, 2^24]");
  SHRINK_CHECK(o.length >= 4 && o.length <= 4096, "sequence length ", o.length, " is out of range [4, 4096]");
  SHRINK_CHECK(o.vocab > kFirstDistractor + 1 && o.vocab <= (int64_t(1) << 20), "vocabulary ", o.vocab,
               " must be in [", kFirstDistractor + 2, ", 2^20]");
  SHRINK_CHECK(o.label_noise >= 0 && o.label_noise <= 0.5, "label noise ", o.label_noise, " is out of range [0, 0.5]");
  SHRINK_CHECK(o.classes >= 2 && o.classes <= kKeys * (kKeys - 1), "sequence classes ", o.classes,
               " must be in [2, ", kKeys * (kKeys - 1), "]");
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t a = 0; a < kKeys; ++a)
    for (int64_t b = 0; b < kKeys; ++b)
      if (a != b) pairs.emplace_back(a + 1, b + 1);
  Dataset d{Tensor(DType::kInt64, {n, o.length}), Tensor(DType::kInt64, {n})};
  int64_t* y = d.y.data<int64_t>();
  std::iota(y, y + n, 0);
  for (int64_t i = 0; i < n; ++i) y[i] %= o.classes;
  Rng order(derive_seed(seed, "labels"));
  for (int64_t i = n - 1; i > 0; --i) std::swap(y[i], y[order.below(uint64_t(i) + 1)]);
  for (int64_t i = 0; i < n; ++i) {
    Rng r(derive_seed(seed ^ uint64_t(i) * 0x9e3779b97f4a7c15ull, "sequence"));
    int64_t* s = d.x.data<int64_t>() + i * o.length;
    for (int64_t t = 0; t < o.length; ++t) s[t] = kFirstDistractor + int64_t(r.below(uint64_t(o.vocab - kFirstDistractor)));
    // Two distinct positions p < q for the keys, leaving room for a decoy after q.
    int64_t p = int64_t(r.below(uint64_t(o.length - 2)));
    int64_t q = p + 1 + int64_t(r.below(uint64_t(o.length - 2 - p)));
    int64_t drawn = y[i];
    if (r.uniform() < o.label_noise) drawn = (y[i] + 1 + int64_t(r.below(uint64_t(o.classes - 1)))) % o.classes;
    s[p] = pairs[size_t(drawn)].first;
    s[q] = pairs[size_t(drawn)].second;
    if (q + 1 < o.length && r.uniform() < 0.5)
      s[q + 1 + int64_t(r.below(uint64_t(o.length - q - 1)))] = 1 + int64_t(r.below(kKeys));
  }
  return d;
}

}  // namespace shrink::train
