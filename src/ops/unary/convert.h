// Element conversion between shrink's dtypes, as Cast does it: float -> integer truncates toward
// zero and saturates (NaN -> 0) instead of hitting undefined behaviour; double -> 16-bit floats
// rounds once (via round-to-odd float), bool is 0/1 and anything non-zero becomes true.
#pragma once
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dtype.h"

namespace shrink::ops {

template <class T>
T saturate_cast(double v) {
  if (std::isnan(v)) return T(0);
  if (v <= double(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return T(v);
}

// double -> float rounded to odd: a second rounding to 16 bits then equals one direct rounding.
inline float round_to_odd_float(double d) {
  float f = float(d);
  if (double(f) != d && !std::isnan(d) && (float_bits(f) & 1u) == 0)
    f = std::nextafter(f, d > double(f) ? std::numeric_limits<float>::infinity()
                                        : -std::numeric_limits<float>::infinity());
  return f;
}

template <class To, class From>
To convert_value(From v) {
  using C = compute_t<From>;
  constexpr bool kTo16 = std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>;
  if constexpr (std::is_same_v<To, bool>) {
    return C(v) != C(0);
  } else if constexpr (kTo16 && std::is_same_v<From, double>) {
    return To(round_to_odd_float(v));
  } else if constexpr (kTo16) {
    return To(float(C(v)));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<C>) {
    return saturate_cast<To>(double(C(v)));
  } else {
    return To(C(v));
  }
}

}  // namespace shrink::ops
