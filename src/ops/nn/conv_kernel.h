// Pieces shared by the Conv and ConvTranspose reference kernels: viewing a 16-bit float tensor as
// float (one conversion up front, one rounding at the store), and a GEMM split into tiles across
// threads.
#pragma once
#include <algorithm>
#include <vector>

#include "core/threads.h"
#include "ops/nn/conv.h"

namespace shrink::ops::conv_detail {

// Data of a T tensor as Acc (= compute_t<T>): the tensor itself when T == Acc, else a converted copy.
template <class T, class Acc>
class AccView {
 public:
  explicit AccView(const Tensor& t) {
    const T* p = static_cast<const T*>(t.raw());
    if constexpr (std::is_same_v<T, Acc>) {
      ptr_ = p;
    } else {
      copy_.resize(size_t(t.numel()));
      for (int64_t i = 0; i < t.numel(); ++i) copy_[size_t(i)] = Acc(p[i]);
      ptr_ = copy_.data();
    }
  }
  const Acc* data() const { return ptr_; }

 private:
  const Acc* ptr_ = nullptr;
  std::vector<Acc> copy_;
};

// Output buffer in Acc: writes straight into the tensor when T == Acc, else stores (rounding once)
// on finish().
template <class T, class Acc>
class AccOut {
 public:
  explicit AccOut(Tensor& t) : t_(t) {
    if constexpr (std::is_same_v<T, Acc>) ptr_ = static_cast<Acc*>(t.raw());
    else {
      copy_.assign(size_t(t.numel()), Acc(0));
      ptr_ = copy_.data();
    }
  }
  Acc* data() { return ptr_; }
  void finish() {
    if constexpr (!std::is_same_v<T, Acc>) {
      T* dst = static_cast<T*>(t_.raw());
      for (size_t i = 0; i < copy_.size(); ++i) dst[i] = T(copy_[i]);
    }
  }

 private:
  Tensor& t_;
  Acc* ptr_ = nullptr;
  std::vector<Acc> copy_;
};

// C += A * B split into row x column tiles run by parallel_for (or inline when !parallel).
template <class Acc>
void gemm_tiles(bool parallel, int64_t M, int64_t N, int64_t K, const Acc* A, int64_t lda, const Acc* B,
                int64_t ldb, Acc* C, int64_t ldc) {
  constexpr int64_t kRowTile = 32, kColTile = 256;
  const int64_t mt = (M + kRowTile - 1) / kRowTile, nt = (N + kColTile - 1) / kColTile;
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t i0 = (t / nt) * kRowTile, j0 = (t % nt) * kColTile;
      gemm_accumulate(std::min(kRowTile, M - i0), std::min(kColTile, N - j0), K, A + i0 * lda, lda, B + j0, ldb,
                      C + i0 * ldc + j0, ldc);
    }
  };
  if (parallel) parallel_for(mt * nt, 1, run);
  else run(0, mt * nt);
}

inline int64_t prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

}  // namespace shrink::ops::conv_detail
