// libFuzzer target: the gateway's request-to-command decoding, without the
// actor engine. One input is split into (path, signature header, body) by
// api_input.hpp and fed to every pure decoding step gateway/api.cpp uses:
//
// - split_path on the path, and check_order_no / is_token / is_currency on
//   each of its segments (the route parameters);
// - verify_header(secret, header, body) for /v1/channels/{c}/notify;
// - parse_json of the body into each request message the API reads
//   (PayRequest, ChannelNotification, SandboxFaults, CreateMerchantRequest),
//   then check_pay, notice_from_proto or is_token on what parsed.
//
// Every body goes through all four messages rather than only the one its
// path routes to: the routing is a string compare, and this way no
// execution is wasted on a path that would not reach a decoder.
//
// Properties asserted (a failure aborts and libFuzzer keeps the input):
// - split_path: segments are non-empty, hold no '/', point into the path and
//   together hold every non-'/' byte of it;
// - check_order_no accepts exactly what is_token(.., kMaxOrderNoBytes) does;
// - a header we sign ourselves for this body verifies (kOk), and a kOk
//   header is kStale for a clock far outside the tolerance;
// - JSON round trip: parse_json(to_json(m)) succeeds and equals m (with
//   -0.0 and +0.0 taken as equal, see clear_negative_zeros), twice over;
// - notice_from_proto accepts exactly the four known statuses and copies
//   the fields.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codec/json.hpp"
#include "core/order_decide.hpp"
#include "core/signature.hpp"
#include "fuzz/api_input.hpp"
#include "fuzz/fuzz_check.hpp"
#include "gateway/validate.hpp"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "http/http_types.hpp"
#include "oncepay.pb.h"

namespace {

using oncepay::fuzz::ApiInput;
namespace core = oncepay::core;
namespace codec = oncepay::codec;
namespace gateway = oncepay::gateway;
namespace http = oncepay::http;
namespace v1 = oncepay::v1;

void fuzz_path(std::string_view path) {
  const auto parts = http::split_path(path);
  size_t bytes = 0;
  for (std::string_view part : parts) {
    FUZZ_CHECK(!part.empty(), path);
    FUZZ_CHECK(part.find('/') == std::string_view::npos, path);
    FUZZ_CHECK(part.data() >= path.data() && part.data() + part.size() <= path.data() + path.size(),
               path);
    bytes += part.size();
    const bool token = gateway::is_token(part, gateway::kMaxOrderNoBytes);
    FUZZ_CHECK(gateway::check_order_no(part).empty() == token, part);
    if (gateway::is_currency(part)) FUZZ_CHECK(part.size() == 3 && token, part);
  }
  size_t non_slash = 0;
  for (char c : path) non_slash += c != '/';
  FUZZ_CHECK(bytes == non_slash, path);
}

void fuzz_signature(std::string_view header, std::string_view body) {
  const core::SignatureCheck check =
      core::verify_header(oncepay::fuzz::kSecret, header, body, oncepay::fuzz::kNowUnixSeconds);
  (void)core::to_string(check);
  if (check == core::SignatureCheck::kOk) {
    const auto later = core::verify_header(oncepay::fuzz::kSecret, header, body,
                                           oncepay::fuzz::kNowUnixSeconds + 10 * 3600);
    FUZZ_CHECK(later == core::SignatureCheck::kStale, header);
  }
  const std::string ours =
      core::sign_header(oncepay::fuzz::kSecret, oncepay::fuzz::kNowUnixSeconds, body);
  FUZZ_CHECK(core::verify_header(oncepay::fuzz::kSecret, ours, body,
                                 oncepay::fuzz::kNowUnixSeconds) == core::SignatureCheck::kOk,
             ours);
}

// -0.0 in a double field prints as -0, which Protobuf's JSON parser reads
// back as +0.0, and a proto3 field holding +0.0 is "not set" where -0.0 was
// set. Known and harmless (no amount is a double; see the fuzz report), so the
// comparison treats the two zeros alike by clearing negative zeros first.
void clear_negative_zeros(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = message->GetDescriptor();
  const auto* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated()) continue;  // none of the API's requests has one
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE &&
        reflection->GetDouble(*message, field) == 0.0) {
      reflection->ClearField(message, field);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT &&
               reflection->GetFloat(*message, field) == 0.0f) {
      reflection->ClearField(message, field);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               reflection->HasField(*message, field)) {
      clear_negative_zeros(reflection->MutableMessage(message, field));
    }
  }
}

bool same_message(const google::protobuf::Message& a_in, const google::protobuf::Message& b_in) {
  std::unique_ptr<google::protobuf::Message> a(a_in.New());
  std::unique_ptr<google::protobuf::Message> b(b_in.New());
  a->CopyFrom(a_in);
  b->CopyFrom(b_in);
  clear_negative_zeros(a.get());
  clear_negative_zeros(b.get());
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);  // NaN is a value the API can print and read
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(*a, *b);
}

// Parses body into a fresh M; on success asserts the to_json round trip and
// returns true with *out set.
template <typename M>
bool decode(std::string_view body, M* out) {
  std::string why;
  if (!codec::parse_json(body, out, &why)) {
    FUZZ_CHECK(!why.empty(), body);
    return false;
  }
  const std::string json = codec::to_json(*out);
  M back;
  std::string back_why;
  FUZZ_CHECK(codec::parse_json(json, &back, &back_why),
             "to_json output rejected: " + back_why + " | json: " + json);
  FUZZ_CHECK(same_message(*out, back),
             "round trip changed the message | in: " + out->ShortDebugString() +
                 " | back: " + back.ShortDebugString() + " | json: " + json);
  // Compared as messages again: text would differ by the sign of a zero.
  M twice;
  FUZZ_CHECK(codec::parse_json(codec::to_json(back), &twice, nullptr) && same_message(back, twice),
             "second round trip differs | json: " + json);
  return true;
}

void fuzz_body(std::string_view body) {
  v1::PayRequest pay;
  if (decode(body, &pay)) {
    const std::string problem = gateway::check_pay(pay);
    if (problem.empty()) {
      FUZZ_CHECK(pay.amount() > 0 && gateway::is_currency(pay.currency()) && !pay.channel().empty(),
                 pay.ShortDebugString());
    }
  }

  v1::ChannelNotification notification;
  if (decode(body, &notification)) {
    core::ChannelNotice notice;
    const bool known = notification.status() >= v1::ChannelNotification::SUCCESS &&
                       notification.status() <= v1::ChannelNotification::REFUND_FAILED;
    FUZZ_CHECK(core::notice_from_proto(notification, &notice) == known,
               notification.ShortDebugString());
    if (known) {
      FUZZ_CHECK(notice.payment_no == notification.payment_no() &&
                     notice.channel_trade_no == notification.channel_trade_no() &&
                     notice.amount_minor == notification.amount() &&
                     notice.refund_no == notification.refund_no(),
                 notification.ShortDebugString());
    }
  }

  v1::SandboxFaults faults;
  decode(body, &faults);

  v1::CreateMerchantRequest merchant;
  if (decode(body, &merchant)) (void)gateway::is_token(merchant.merchant_id(), 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ApiInput input =
      oncepay::fuzz::split_api_input(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz_path(input.path);
  fuzz_signature(input.signature_header, input.body);
  fuzz_body(input.body);
  return 0;
}
