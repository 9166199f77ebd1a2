// ONCEPAY_CHECK: an invariant that holds in every build. A failed check is a
// programmer error: it prints where and what, then aborts the process (a
// payment engine must not go on from a state it does not understand).
// Expected failures are values (core/codes.hpp, storage::Status), never this.
#pragma once

#include <cstdio>
#include <cstdlib>

#define ONCEPAY_CHECK(cond)                                                               \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)
