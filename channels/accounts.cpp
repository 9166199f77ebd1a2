#include "channels/accounts.hpp"

#include <arpa/inet.h>

#include <mutex>

#include "core/check.hpp"
#include "http/url.hpp"

namespace oncepay::channels {

namespace {

std::string account_key(std::string_view merchant_id, std::string_view channel) {
  std::string key(merchant_id);
  key += '\x1f';  // never part of an id
  key += channel;
  return key;
}

}  // namespace

bool is_allowed_base_url(std::string_view url) {
  auto parsed = http::parse_url(url);
  if (!parsed) return false;
  if (parsed->tls) return true;
  const std::string& host = parsed->host;
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};  // 127.0.0.0/8 as an address literal, not a name starting "127."
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

void ChannelAccounts::add_parser(std::string channel, AccountParser parser) {
  std::unique_lock lock(mutex_);
  ONCEPAY_CHECK(parsers_.count(channel) == 0 && "one account parser per channel");
  parsers_.emplace(std::move(channel), std::move(parser));
}

bool ChannelAccounts::takes_accounts(std::string_view channel) const {
  std::shared_lock lock(mutex_);
  return parsers_.find(channel) != parsers_.end();
}

std::optional<AccountError> ChannelAccounts::parse(std::string_view channel, std::string_view body,
                                                   std::shared_ptr<const ChannelAccount>* account,
                                                   std::string* canonical) const {
  AccountParser parser;
  {
    std::shared_lock lock(mutex_);
    auto it = parsers_.find(channel);
    if (it == parsers_.end()) {
      return AccountError{"", "channel " + std::string(channel) + " takes no accounts here"};
    }
    parser = it->second;
  }
  return parser(body, account, canonical);
}

void ChannelAccounts::put(const std::string& merchant_id, const std::string& channel,
                          std::shared_ptr<const ChannelAccount> account) {
  ONCEPAY_CHECK(account != nullptr);
  std::unique_lock lock(mutex_);
  accounts_[account_key(merchant_id, channel)] = std::move(account);
}

bool ChannelAccounts::load(const std::string& merchant_id, const std::string& channel,
                           std::string_view config, std::string* error) {
  if (!takes_accounts(channel)) {
    *error = "channel " + channel + " is not enabled in this daemon";
    return false;
  }
  std::shared_ptr<const ChannelAccount> account;
  std::string canonical;
  if (auto bad = parse(channel, config, &account, &canonical)) {
    *error = (bad->field.empty() ? "" : bad->field + ": ") + bad->message;
    return false;
  }
  put(merchant_id, channel, std::move(account));
  return true;
}

std::shared_ptr<const ChannelAccount> ChannelAccounts::get(std::string_view merchant_id,
                                                           std::string_view channel) const {
  std::shared_lock lock(mutex_);
  auto it = accounts_.find(account_key(merchant_id, channel));
  return it == accounts_.end() ? nullptr : it->second;
}

}  // namespace oncepay::channels
