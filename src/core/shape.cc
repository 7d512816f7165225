// Checked shape arithmetic.
#include "core/shape.h"

#include "core/error.h"

namespace shrink {

int64_t checked_numel(const Shape& shape, const char* what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    SHRINK_CHECK(d >= 0, what, " ", shape_str(shape), " has a negative dim");
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    SHRINK_CHECK(n <= kMaxElements / d, what, " ", shape_str(shape), " has too many elements");
    n *= d;
  }
  return n;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const char* what) {
  SHRINK_CHECK(axis >= -rank && axis < rank, what, " ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    SHRINK_CHECK(da == db || da == 1 || db == 1, "shapes ", shape_str(a), " and ", shape_str(b),
                 " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace shrink
