#include "gateway/validate.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "core/money.hpp"
#include "core/statement.hpp"
#include "http/url.hpp"

namespace oncepay::gateway {

namespace {

std::string check_amount(int64_t amount_minor, int64_t min_minor, int64_t max_minor) {
  if (amount_minor >= min_minor && amount_minor <= max_minor) return {};
  if (amount_minor == 0) {  // proto3 cannot tell 0 from absent: say both
    return "field \"amount\" is missing or 0: it must be from " + std::to_string(min_minor) +
           " to " + std::to_string(max_minor) + " minor units";
  }
  return "field \"amount\": must be from " + std::to_string(min_minor) + " to " +
         std::to_string(max_minor) + " minor units, got " + std::to_string(amount_minor);
}

}  // namespace

bool is_token(std::string_view value, size_t max_bytes) {
  if (value.empty() || value.size() > max_bytes) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_currency(std::string_view code) { return core::is_currency(code); }

std::string check_order_no(std::string_view merchant_order_no) {
  if (is_token(merchant_order_no, kMaxOrderNoBytes)) return {};
  return "merchant_order_no must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'";
}

std::string check_pay(const v1::PayRequest& r, int64_t max_amount_minor) {
  if (auto e = check_amount(r.amount(), 1, kMaxAmountMinor); !e.empty()) return e;
  if (max_amount_minor > 0 && r.amount() > max_amount_minor) {
    return "field \"amount\": " + std::to_string(r.amount()) +
           " minor units is above this gateway's limit (payment.max-amount) of " +
           std::to_string(max_amount_minor);
  }
  if (r.currency().empty()) return "currency is required";
  if (!is_currency(r.currency())) return "currency must be an ISO-4217 code such as \"CNY\"";
  if (r.channel().empty()) return "channel is required";
  if (r.subject().size() > kMaxSubjectBytes) return "subject must be at most 256 bytes";
  // Which trade types a channel takes is the channel's to say (its prepay
  // answers kRejected for one it does not know); here only the shape.
  if (!r.trade_type().empty() && !is_token(r.trade_type(), 32)) {
    return "trade_type must be 1-32 characters of A-Z, a-z, 0-9, '_' and '-'";
  }
  if (!r.payer_openid().empty() && !is_token(r.payer_openid(), 128)) {
    return "payer_openid must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'";
  }
  if (!r.notify_url().empty()) {
    // Accepted exactly when the webhook client can send to it, so that an
    // accepted notify_url is one oncepay can actually deliver to.
    const auto& url = r.notify_url();
    const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
      return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
    });
    if (url.size() > kMaxNotifyUrlBytes || !printable || !http::is_http_url(url)) {
      return "notify_url must be an http:// or https:// URL with a host, without spaces, of at "
             "most 2048 bytes";
    }
  }
  return {};
}

std::string check_refund(const v1::RefundRequest& r) {
  if (!is_token(r.refund_no(), kMaxRefundNoBytes)) {
    return "refund_no must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'";
  }
  if (auto e = check_amount(r.amount(), 1, kMaxAmountMinor); !e.empty()) return e;
  if (r.reason().size() > kMaxReasonBytes) return "reason must be at most 256 bytes";
  return {};
}

bool is_operator_text(std::string_view text) {
  if (text.empty() || text.size() > kMaxOperatorTextBytes || !core::valid_utf8(text)) return false;
  bool visible = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\t' || c == '\n' || c == '\r' || c == ' ') continue;
    if (c < 0x20 || c == 0x7F) return false;
    visible = true;
  }
  return visible;
}

bool parse_limit(std::string_view text, size_t max, size_t* out) {
  if (text.empty() || text.size() > 9) return false;
  size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  if (value < 1 || value > max) return false;
  *out = value;
  return true;
}

}  // namespace oncepay::gateway
