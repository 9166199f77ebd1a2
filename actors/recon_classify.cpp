#include "actors/recon_classify.hpp"

#include <string>
#include <unordered_set>

#include "core/check.hpp"
#include "core/recon_ledger.hpp"

namespace oncepay::actors {

std::string statement_line_problem(const core::StatementLine& line) {
  constexpr size_t kMaxId = 64;  // out_trade_no: WeChat 6-32, Alipay up to 64 characters
  const auto id_ok = [](const std::string& id, bool required) {
    return (!required || !id.empty()) && id.size() <= kMaxId;
  };
  if (!id_ok(line.payment_no, true)) return "the payment number is empty or over 64 bytes";
  const bool refund = line.kind == core::StatementLine::Kind::kRefund;
  if (!id_ok(line.refund_no, refund)) return "the refund number is empty or over 64 bytes";
  if (!id_ok(line.channel_trade_no, false) || !id_ok(line.channel_refund_no, false)) {
    return "a channel id is over 64 bytes";
  }
  if (line.amount_minor < 0) return "a negative amount";
  if (line.currency.size() != 3) return "the currency is not an ISO 4217 code";
  if (line.time_ms < 0) return "the trade time is not yyyy-MM-dd HH:mm:ss";
  return {};
}

std::optional<core::StatementError> validate_statement(const channels::StatementSource& source,
                                                       const std::string& path,
                                                       const std::string& merchant_id,
                                                       const std::string& expected_account) {
  uint64_t foreign_line = 0;
  std::string foreign_account;
  core::StatementSummary summary;
  core::StatementError error;
  // What no channel prints and no run may act on: checked here for every
  // format (the parsers check the layout).
  std::optional<core::StatementError> bad_line;
  const bool parsed = source.parse(
      path,
      [&](const core::StatementLine& line) {
        if (foreign_line == 0 && line.account_id != expected_account) {
          foreign_line = line.line;
          foreign_account = line.account_id;
        }
        if (bad_line) return;
        std::string why = statement_line_problem(line);
        if (!why.empty()) bad_line = core::StatementError{line.line, std::move(why)};
      },
      &summary, &error);
  if (!parsed) return error;
  if (bad_line && (foreign_line == 0 || bad_line->line < foreign_line)) return bad_line;
  if (foreign_line == 0 && !summary.account_id.empty() && summary.account_id != expected_account) {
    foreign_line = summary.last_line;
    foreign_account = summary.account_id;
  }
  if (foreign_line == 0) return std::nullopt;
  error.line = foreign_line;
  error.reason = "the statement is of account \"" + foreign_account + "\", not merchant " +
                 merchant_id + "'s (\"" + expected_account + "\")";
  return error;
}

v1::ReconItemView recon_item_view(const core::ReconItem& item) {
  v1::ReconItemView v;
  v.set_class_(std::string(core::recon_class_name(item.cls)));
  v.set_action(std::string(core::recon_action_name(item.action)));
  v.set_line(item.line);
  v.set_payment_no(item.payment_no);
  v.set_refund_no(item.refund_no);
  v.set_merchant_order_no(item.merchant_order_no);
  if (item.channel_amount_minor) v.set_channel_amount(*item.channel_amount_minor);
  if (item.platform_amount_minor) v.set_platform_amount(*item.platform_amount_minor);
  v.set_detail(item.detail);
  v.set_channel_trade_no(item.channel_trade_no);
  v.set_channel_currency(item.channel_currency);
  v.set_platform_currency(item.platform_currency);
  v.set_fee_milli(item.fee_milli_minor);
  return v;
}

Classified classify_statement(const ClassifyRequest& rq) {
  ONCEPAY_CHECK(rq.source != nullptr && rq.stored != nullptr);
  Classified rs;
  const storage::StoredOrders& stored = *rq.stored;
  storage::Status& storage_error = rs.storage_error;
  core::LedgerPayment scratch;
  core::ReconInput input;
  input.statement_day = rq.window.day;
  input.hold_days = rq.hold_days;
  input.intraday = rq.intraday;
  input.find_payment = [&](std::string_view no) -> const core::PlatformPayment* {
    storage::Status st = stored.ledger_payment(std::string(no), &scratch);
    if (st.is_not_found()) return nullptr;
    if (!st.is_ok()) {
      if (storage_error.is_ok()) storage_error = st;
      return nullptr;
    }
    if (scratch.payment.merchant_id != rq.merchant_id || scratch.channel != rq.channel) {
      return nullptr;  // not a payment of this merchant's account on this channel
    }
    return &scratch.payment;
  };
  input.each_day_success = [&](const std::function<void(const core::PlatformSuccess&)>& fn) {
    storage::Status st = stored.scan_ledger_days(
        rq.merchant_id, rq.channel, rq.window.start_ms, rq.window.end_ms,
        [&](const core::PlatformSuccess* s, const core::PlatformDayRefund*) {
          if (s != nullptr) fn(*s);
        });
    if (!st.is_ok() && storage_error.is_ok()) storage_error = st;
  };
  input.each_day_refund = [&](const std::function<void(const core::PlatformDayRefund&)>& fn) {
    storage::Status st = stored.scan_ledger_days(
        rq.merchant_id, rq.channel, rq.window.start_ms, rq.window.end_ms,
        [&](const core::PlatformSuccess*, const core::PlatformDayRefund* r) {
          if (r != nullptr) fn(*r);
        });
    if (!st.is_ok() && storage_error.is_ok()) storage_error = st;
  };
  for (const auto& [payment_no, h] : rq.held) {
    core::HeldSuccess x;
    x.success = {rq.merchant_id, h.merchant_order_no(), payment_no, h.amount(), h.currency()};
    x.held_since_day = h.held_since_day();
    input.held.push_back(std::move(x));
  }

  int64_t current_line_time = 0;
  core::Reconciliation recon(std::move(input), [&](const core::ReconItem& item) {
    using A = core::ReconAction;
    if (item.cls == core::ReconClass::kMatched) {
      if (item.action == A::kReleaseHold) rs.held.push_back({item.payment_no, std::nullopt});
      if (!item.merchant_order_no.empty() && rq.has_recon_item &&
          rq.has_recon_item(item.payment_no, item.refund_no)) {
        rs.matched_with_items.emplace_back(OrderKey{item.merchant_id, item.merchant_order_no},
                                           item);
      }
      return;
    }
    rs.items.push_back(recon_item_view(item));
    switch (item.action) {
      case A::kApplySuccess:
      case A::kApplyRefundSuccess:
        rs.fixes.push_back(item);
        rs.fix_items.push_back(rs.items.size() - 1);
        rs.line_time_ms[core::recon_subject(item.payment_no, item.refund_no)] = current_line_time;
        break;
      case A::kHold: {
        v1::HeldRecord h;
        h.set_merchant_order_no(item.merchant_order_no);
        h.set_amount(item.platform_amount_minor.value_or(0));
        h.set_currency(item.platform_currency);
        h.set_held_since_day(item.held_since_day);
        rs.held.push_back({item.payment_no, std::move(h)});
        break;
      }
      case A::kReview:
        if (item.cls == core::ReconClass::kChannelMissing) {
          rs.held.push_back({item.payment_no, std::nullopt});  // now a review item
        }
        rs.reviews.push_back(item);
        rs.review_items.push_back(rs.items.size() - 1);
        if (item.line > 0) {
          rs.line_time_ms[core::recon_subject(item.payment_no, item.refund_no)] = current_line_time;
        }
        break;
      default:
        break;
    }
  });
  core::StatementSummary summary;
  core::StatementError error;
  const bool parsed = rq.source->parse(
      rq.path,
      [&](const core::StatementLine& line) {
        current_line_time = line.time_ms > 0 ? line.time_ms : 0;
        const size_t before = rs.reviews.size();
        recon.add_line(line);
        if (rs.reviews.size() > before) {
          rs.line_status[core::recon_subject(line.payment_no, line.refund_no)] =
              line.channel_status + (line.settled ? "|1" : "|0");
        }
      },
      &summary, &error);
  if (!parsed) {
    rs.parse_error = error;
    return rs;
  }
  rs.report = recon.finish(summary);
  // A payment (or refund) listed twice is matched on its first line and a
  // duplicate_line on the next: that match must not close the item this
  // very statement shows again (a re-run would close it).
  if (!rs.matched_with_items.empty() && !rs.reviews.empty()) {
    std::unordered_set<std::string> reviewed;
    for (const auto& r : rs.reviews)
      reviewed.insert(core::recon_subject(r.payment_no, r.refund_no));
    std::erase_if(rs.matched_with_items, [&](const auto& m) {
      return reviewed.contains(core::recon_subject(m.second.payment_no, m.second.refund_no));
    });
  }
  return rs;
}

}  // namespace oncepay::actors
