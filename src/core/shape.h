// Concrete tensor shapes and the checked arithmetic on them (element counts that cannot
// overflow, axis normalization, broadcasting, strides).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace shrink {

using Shape = std::vector<int64_t>;

// Largest element count shrink will allocate for one tensor (2^40 elements): a bound that turns
// absurd dims from malformed files into an error instead of an allocation attempt.
inline constexpr int64_t kMaxElements = int64_t(1) << 40;
// Largest single tensor (4 GiB): malformed shapes fail fast instead of exhausting memory.
inline constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 32;

// Element count; fails (bad input) on a negative dim or a count above kMaxElements.
int64_t checked_numel(const Shape& shape, const char* what = "shape");
// Element count without checks, for shapes already validated.
int64_t numel(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> strides_of(const Shape& shape);
// Normalizes a possibly negative axis for a tensor of `rank`; fails when out of [-rank, rank).
int64_t normalize_axis(int64_t axis, int64_t rank, const char* what = "axis");
// Numpy broadcast of two shapes; fails when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
std::string shape_str(const Shape& shape);

}  // namespace shrink
