// The route table of the gateway: method + path pattern -> handler, and the
// lookup that turns a request's path and method into the handler to run, a
// 405 with the path's allowed methods, or nothing (404). Pure: no I/O, no
// engine; gateway/api.cpp holds the table and the handlers.
//
// A pattern is an absolute path whose segments are literals or "{name}",
// which matches any one segment: "/v1/orders/{no}/pay". The pattern is also
// the route's label in the metrics (oncepay_http_requests_total{route=...}).
// Requests are grouped by the checks they pass before a handler runs
// (Access, in Api::dispatch); a lookup only considers routes of one group.
// Thread-safety: the table is immutable; lookups may run on any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/role.hpp"

namespace oncepay::gateway {

// The checks a request passes before its route's handler runs, in the order
// Api::dispatch applies them (docs/ARCHITECTURE.md, "gateway/").
enum class Access {
  kOps,           // /healthz, /readyz, /metrics: none, not even readiness
  kChannel,       // channel callbacks: readiness; the channel's decoder verifies the signature
  kAdminSession,  // readiness: /admin/session (sign-in checks the token itself)
  kAdmin,         // readiness, an operator (bearer token or session + CSRF), its role
  kChannelRoute,  // readiness: a channel's own routes (channels::ChannelRoute)
  kMerchant,      // readiness, then a merchant API key
};

// True when `parts` (http::split_path of a request path) has exactly the
// segments of `pattern`, each equal to the literal or matched by "{name}".
bool path_matches(std::string_view pattern, const std::vector<std::string_view>& parts);

// min_role matters for kAdmin routes only: the least role an operator needs
// (gateway/role.hpp); a route that does not say needs admin. To mark a new
// admin route, end its table line with Role::kViewer or Role::kOperator.
template <typename Handler>
struct Route {
  Access access;
  std::string_view method;
  std::string_view pattern;
  Handler handler;
  Role min_role = Role::kAdmin;
};

// What a lookup found. No route of the group has the path: pattern is
// empty (404). Routes have the path, none the method: route is null and
// allow lists their methods, ", "-separated in table order (405 + Allow).
template <typename Handler>
struct RouteMatch {
  const Route<Handler>* route = nullptr;
  std::string_view pattern;
  std::string allow;
};

template <typename Handler>
RouteMatch<Handler> find_route(std::span<const Route<Handler>> table, Access access,
                               const std::vector<std::string_view>& parts,
                               std::string_view method) {
  RouteMatch<Handler> match;
  for (const Route<Handler>& route : table) {
    if (route.access != access || !path_matches(route.pattern, parts)) continue;
    if (route.method == method) {
      match.route = &route;
      match.pattern = route.pattern;
      return match;
    }
    if (match.pattern.empty()) match.pattern = route.pattern;
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += route.method;
  }
  return match;
}

}  // namespace oncepay::gateway
