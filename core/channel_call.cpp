#include "core/channel_call.hpp"

namespace oncepay::core {

std::string_view to_string(ChannelOp op) {
  switch (op) {
    case ChannelOp::kPrepay:
      return "prepay";
    case ChannelOp::kQuery:
      return "query";
    case ChannelOp::kClose:
      return "close";
    case ChannelOp::kReverse:
      return "reverse";
    case ChannelOp::kRefund:
      return "refund";
  }
  return "?";
}

std::string_view to_string(ChannelOutcome outcome) {
  switch (outcome) {
    case ChannelOutcome::kOk:
      return "OK";
    case ChannelOutcome::kNotFound:
      return "NOT_FOUND";
    case ChannelOutcome::kUnavailable:
      return "UNAVAILABLE";
    case ChannelOutcome::kAlreadyPaid:
      return "ALREADY_PAID";
    case ChannelOutcome::kNotPaid:
      return "NOT_PAID";
    case ChannelOutcome::kRejected:
      return "REJECTED";
  }
  return "?";
}

std::string_view to_string(ChannelPayState state) {
  switch (state) {
    case ChannelPayState::kNotPay:
      return "NOTPAY";
    case ChannelPayState::kSuccess:
      return "SUCCESS";
    case ChannelPayState::kClosed:
      return "CLOSED";
    case ChannelPayState::kRefund:
      return "REFUND";
    case ChannelPayState::kPayError:
      return "PAYERROR";
  }
  return "?";
}

}  // namespace oncepay::core
