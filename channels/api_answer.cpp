#include "channels/api_answer.hpp"

#include <string>

#include "codec/json.hpp"

namespace oncepay::channels {

http::HttpResponse json_answer(int status, const google::protobuf::Message& body) {
  http::HttpResponse r;
  r.status = status;
  r.body = codec::to_json(body);
  return r;
}

http::HttpResponse api_error(int status, std::string_view code, std::string_view message) {
  v1::ErrorResponse body;
  body.mutable_error()->set_code(std::string(code));
  body.mutable_error()->set_message(std::string(message));
  return json_answer(status, body);
}

http::HttpResponse api_error(core::Code code, std::string_view message) {
  return api_error(core::http_status(code), core::to_string(code), message);
}

}  // namespace oncepay::channels
