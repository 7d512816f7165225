// Shapes and reference data movement of the channel-blocked layout.
#include "ops/internal/blocked_layout.h"

#include <cstring>

#include "ops/common.h"

namespace shrink::ops {

Shape blocked_shape(const Shape& plain, int64_t block, const ir::Node& node) {
  SHRINK_CHECK(block > 0 && plain.size() == 4 && plain[1] % block == 0, node.label(), " cannot block shape ",
               shape_str(plain), " by ", block, " channels");
  return {plain[0], plain[1] / block, plain[2], plain[3], block};
}

Shape plain_shape(const Shape& blocked, const ir::Node& node) {
  SHRINK_CHECK(blocked.size() == 5, node.label(), " expects a blocked rank-5 tensor, got ", shape_str(blocked));
  return {blocked[0], blocked[1] * blocked[4], blocked[2], blocked[3]};
}

namespace {

// Copies element by element between plain index (n, c, s) and blocked index (n, c/b, s, c%b).
template <bool kToBlocked>
void move(const Tensor& from, Tensor& to, const Shape& plain, int64_t b) {
  const size_t es = dtype_size(from.dtype());
  const int64_t N = plain[0], C = plain[1], S = plain[2] * plain[3];
  const auto* src = static_cast<const char*>(from.raw());
  auto* dst = static_cast<char*>(to.raw());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t p = (n * C + c) * S + s;
        const int64_t q = ((n * (C / b) + c / b) * S + s) * b + c % b;
        if (kToBlocked) std::memcpy(dst + size_t(q) * es, src + size_t(p) * es, es);
        else std::memcpy(dst + size_t(p) * es, src + size_t(q) * es, es);
      }
}

}  // namespace

Tensor to_blocked(const Tensor& plain, int64_t block, const ir::Node& node) {
  Tensor out(plain.dtype(), blocked_shape(plain.shape(), block, node));
  move<true>(plain, out, plain.shape(), block);
  return out;
}

Tensor from_blocked(const Tensor& blocked, const ir::Node& node) {
  Shape plain = plain_shape(blocked.shape(), node);
  Tensor out(blocked.dtype(), plain);
  move<false>(blocked, out, plain, blocked.dim(4));
  return out;
}

}  // namespace shrink::ops
