// FUZZ_CHECK: a property a fuzz target asserts. A failed check prints where,
// what and a detail string, then aborts, so libFuzzer saves the input as a
// crash artifact. Independent of NDEBUG, like core/check.hpp.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace oncepay::fuzz {

[[noreturn]] inline void check_failed(const char* file, int line, const char* what,
                                      std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  detail: %.*s\n", file, line, what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace oncepay::fuzz

#define FUZZ_CHECK(cond, detail)                                                   \
  do {                                                                             \
    if (!(cond)) ::oncepay::fuzz::check_failed(__FILE__, __LINE__, #cond, detail); \
  } while (false)
