#include "channels/accounts.hpp"

#include <boost/url/parse.hpp>
#include <cctype>
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

AccountError body_error(std::string_view codec_error) {
  AccountError error;
  const size_t open = codec_error.find('"');
  const size_t close = open == std::string_view::npos ? open : codec_error.find('"', open + 1);
  if (close != std::string_view::npos) {
    error.field = std::string(codec_error.substr(open + 1, close - open - 1));
  }
  const size_t got = codec_error.find(", got ");
  error.message = std::string(codec_error.substr(0, got));
  return error;
}

bool is_allowed_base_url(std::string_view url) {
  // Boost.URL checks the grammar (RFC 3986); the rest is our policy: an
  // http(s) URL with a host and nothing a request line could be confused by.
  if (url.empty() || url.size() > 2048) return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;  // CR, LF, NUL, space
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const boost::urls::url_view& u = *parsed;
  std::string scheme(u.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return false;
  if (!u.has_authority() || u.has_userinfo() || u.has_query() || u.has_fragment()) return false;
  if (u.encoded_host().empty()) return false;
  // Boost 1.81 takes "http://127.0.0.1.evil.com" as host 127.0.0.1 and path
  // ".evil.com"; RFC 3986's path-abempty after an authority is empty or
  // starts with '/'.
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/') return false;
  if (u.has_port()) {
    const std::string_view port = u.port();
    if (port.empty() || port.size() > 5) return false;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value < 1 || value > 65535) return false;
  }
  if (!http::is_http_url(url)) return false;  // and the client can send to it
  if (scheme == "https") return u.host_type() != boost::urls::host_type::ipvfuture;
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      return u.host_ipv4_address().is_loopback();
    case boost::urls::host_type::ipv6:
      return u.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: {
      std::string host(u.encoded_host());
      for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return host == "localhost";
    }
    default:
      return false;
  }
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
