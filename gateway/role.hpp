// An operator's role at /admin (docs/API.md "Operators and roles"): each
// role may do what the one below it may, and more. viewer reads; operator
// also acts on orders; admin also manages merchants and channel accounts.
// A route of the table names the least role it needs (Route::min_role).
// Pure values: any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace oncepay::gateway {

enum class Role : uint8_t { kViewer = 0, kOperator = 1, kAdmin = 2 };

// "viewer", "operator", "admin".
constexpr std::string_view to_string(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

// The role of one of the three names (exactly, lower case); false otherwise.
constexpr bool parse_role(std::string_view name, Role* out) {
  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (to_string(role) == name) {
      *out = role;
      return true;
    }
  }
  return false;
}

// May an operator of role `has` use a route that needs `needs`?
constexpr bool role_allows(Role has, Role needs) {
  return static_cast<uint8_t>(has) >= static_cast<uint8_t>(needs);
}

static_assert(role_allows(Role::kAdmin, Role::kOperator) &&
              role_allows(Role::kOperator, Role::kViewer) &&
              !role_allows(Role::kViewer, Role::kOperator));

}  // namespace oncepay::gateway
