// Answers in oncepay's own HTTP shapes (docs/API.md), for channels whose
// callers speak them: the built-in sandbox's /sandbox routes and the
// notification answers of the simulator's wire (channels/sim/). The bodies
// are byte for byte what gateway::Api writes for the same status and code.
//
// Threads: pure functions.
#pragma once

#include <string_view>

#include "core/codes.hpp"
#include "http/http_types.hpp"
#include "oncepay.pb.h"

namespace oncepay::channels {

// `status` with the message as codec::to_json writes it.
http::HttpResponse json_answer(int status, const google::protobuf::Message& body);
// The API.md error shape {"error": {"code", "message"}}.
http::HttpResponse api_error(int status, std::string_view code, std::string_view message);
// The same for one of the API's codes, with its HTTP status.
http::HttpResponse api_error(core::Code code, std::string_view message);

}  // namespace oncepay::channels
