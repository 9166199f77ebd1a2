#include "gateway/routes.hpp"

namespace oncepay::gateway {

bool path_matches(std::string_view pattern, const std::vector<std::string_view>& parts) {
  size_t i = 0;
  for (const std::string_view segment : parts) {
    if (i >= pattern.size() || pattern[i] != '/') return false;
    ++i;
    size_t end = pattern.find('/', i);
    if (end == std::string_view::npos) end = pattern.size();
    const std::string_view want = pattern.substr(i, end - i);
    const bool wildcard = want.size() >= 2 && want.front() == '{' && want.back() == '}';
    if (!wildcard && want != segment) return false;
    i = end;
  }
  return i == pattern.size();
}

}  // namespace oncepay::gateway
