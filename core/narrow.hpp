// checked_cast: an integer conversion that may narrow or change sign, checked.
// Use it where a value crosses into a smaller or differently signed type whose
// range the value is not known to fit by construction: sizes into protobuf's
// int lengths and int32 fields, counts into C APIs that take int. A value that
// does not fit is a programmer error (ONCEPAY_CHECK, on in every build), never
// a silent wrap: a wrapped amount, id or length would be wrong data, not a crash.
// Values that come from outside (config, requests) are range-checked where they
// are read and answered with an error value; this is for what follows.
// Provably safe conversions stay a plain static_cast.
#pragma once

#include <concepts>
#include <utility>

#include "core/check.hpp"

namespace oncepay::core {

template <std::integral To, std::integral From>
constexpr To checked_cast(From value) {
  ONCEPAY_CHECK(std::in_range<To>(value));
  return static_cast<To>(value);
}

}  // namespace oncepay::core
