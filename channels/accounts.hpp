// Merchants' accounts at channels: what a channel adapter needs to act for a
// merchant (WeChat Pay: mchid, appid, the merchant's private key, the
// platform's public key, the APIv3 key; Alipay: app_id and keys). The admin
// API takes them (PUT /admin/merchants/{merchant_id}/channels/{channel},
// docs/API.md "Channel accounts"); the WAL and the snapshot keep them
// (v1::ChannelAccountSet, table `channel_accounts`); the adapters read them
// on every call.
//
// Each channel that has accounts registers an AccountParser under its name
// (its registration function, channels/<name>/): it checks an admin body
// field by field and turns it into the channel's own ChannelAccount subclass
// plus the canonical JSON the WAL stores. Recovery runs the same parser over
// the stored JSON, so a stored account and a fresh one are the same object.
//
// Secrets: a ChannelAccount holds them (it must, to sign), but public_view()
// never shows them: key material appears as SHA-256 fingerprints. Nothing
// here logs.
//
// Threads and ownership: ChannelAccounts is shared (shared_ptr) by the
// engine (which puts accounts once they are durable), the gateway (which
// parses bodies and shows accounts) and the adapters (which get accounts on
// any CAF worker); every member is thread-safe (shared mutex). Accounts are
// immutable once parsed: a change replaces the shared_ptr, so an adapter's
// call in flight keeps the account it started with.
//
// Failure modes: a body that does not parse, lacks a field or holds a bad
// key gets an AccountError naming the field; nothing is stored. A stored
// account of a channel not enabled in this daemon is kept in the snapshot
// but not loaded (load() answers false); one that no longer parses is
// reported by load() with the parser's error.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace oncepay::channels {

class ChannelAccount {
 public:
  virtual ~ChannelAccount() = default;
  // The account as GET/PUT answer it: every field but the secrets, keys as
  // "<field>_sha256" fingerprints of their public part (or of the secret's
  // bytes for symmetric keys).
  virtual boost::json::object public_view() const = 0;
};

// Why a body was refused: the field (JSON name; empty: the body as a whole)
// and a message fit for the API's error (never a secret's content).
struct AccountError {
  std::string field;
  std::string message;
};

// The AccountError of a body codec::parse_json refused: `field` is the
// field its message names (unknown, duplicate, wrongly typed), the message
// without the offending value (a secret sent as a number must not come back
// in the answer).
AccountError body_error(std::string_view codec_error);

// Parses an admin body: on success the account and the canonical JSON to
// store (secrets included); else the error.
using AccountParser = std::function<std::optional<AccountError>(
    std::string_view body, std::shared_ptr<const ChannelAccount>* account, std::string* canonical)>;

// A channel base_url an account may name: https://, or http:// to a
// loopback host only (127.0.0.0/8, ::1, localhost: the simulator). Pure.
bool is_allowed_base_url(std::string_view url);

class ChannelAccounts {
 public:
  // Channel `channel` takes accounts, parsed by `parser`. Call before use
  // (daemon start); one parser per channel.
  void add_parser(std::string channel, AccountParser parser);
  // True when `channel` takes accounts in this daemon.
  bool takes_accounts(std::string_view channel) const;

  // Checks a body for `channel` (which must take accounts).
  std::optional<AccountError> parse(std::string_view channel, std::string_view body,
                                    std::shared_ptr<const ChannelAccount>* account,
                                    std::string* canonical) const;

  // Installs a parsed account (after it is durable).
  void put(const std::string& merchant_id, const std::string& channel,
           std::shared_ptr<const ChannelAccount> account);
  // Recovery: parses a stored account and installs it. False (nothing
  // installed, *error set) when the channel is not enabled here or the
  // stored JSON no longer parses.
  bool load(const std::string& merchant_id, const std::string& channel, std::string_view config,
            std::string* error);

  // The merchant's account at `channel`; null when there is none.
  std::shared_ptr<const ChannelAccount> get(std::string_view merchant_id,
                                            std::string_view channel) const;
  // The same, as the channel's own type (null when absent or of another type).
  template <typename T>
  std::shared_ptr<const T> get_as(std::string_view merchant_id, std::string_view channel) const {
    return std::dynamic_pointer_cast<const T>(get(merchant_id, channel));
  }

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, AccountParser, std::less<>> parsers_;
  // merchant_id 0x1F channel -> account
  std::map<std::string, std::shared_ptr<const ChannelAccount>, std::less<>> accounts_;
};

}  // namespace oncepay::channels
