#include "http/query.hpp"

#include <boost/url/parse_query.hpp>
// Boost.URL is used header-only (Debian's libboost-url is not a dependency):
// its sources are compiled into this one translation unit.
#include <boost/url/src.hpp>

namespace oncepay::http {

bool parse_query(std::string_view query, std::map<std::string, std::string, std::less<>>* out,
                 std::string* error) {
  out->clear();
  if (query.empty()) return true;
  // Boost 1.81's parse_query measures a string_view with strlen (it reads
  // past the end of a view into a larger buffer): give it its own
  // NUL-terminated copy.
  const std::string terminated(query);
  auto parsed = boost::urls::parse_query(terminated);
  if (!parsed) {
    *error = "malformed query string";
    return false;
  }
  for (const auto& param : *parsed) {
    std::string key = param.key.decode();
    if (key.empty()) {
      *error = "malformed query string: a parameter without a name";
      return false;
    }
    std::string value = param.has_value ? param.value.decode() : std::string();
    if (!out->emplace(key, std::move(value)).second) {
      *error = "query parameter \"" + key + "\" is given more than once";
      return false;
    }
  }
  return true;
}

}  // namespace oncepay::http
