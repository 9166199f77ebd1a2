// The query string of a request (RFC 3986 "?a=1&b=x%3Ay"), parsed and
// percent-decoded by Boost.URL. Pure function, any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace oncepay::http {

// Fills *out (cleared first) with name -> decoded value. False and a human
// readable *error for malformed percent-encoding, an empty name, or a name
// given twice. A name without '=' has the value "".
bool parse_query(std::string_view query, std::map<std::string, std::string, std::less<>>* out,
                 std::string* error);

}  // namespace oncepay::http
