// Test helper: the channel vectors of tests/channels/vectors/
// (docs/channels/PROTOCOLS.md section D) as Boost.JSON values, and the keys
// they name loaded once. Test-only; the vectors are data, never code.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "channels/wechatpay/keys.hpp"
#include "channels/wechatpay/signature.hpp"

namespace oncepay::channels::wechatpay {
// GoogleTest prints an Error by name.
inline void PrintTo(Error error, std::ostream* os) { *os << to_string(error); }
}  // namespace oncepay::channels::wechatpay

namespace oncepay::channels::wechatpay::testing {

inline boost::json::value load_vectors(std::string_view file) {
  const std::string path = std::string(ONCEPAY_VECTORS_DIR) + "/" + std::string(file);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

inline const boost::json::value& generated() {
  static const boost::json::value v = load_vectors("generated_locally.json");
  return v;
}

// The string at `v[key]` (a test failure, and "", if it is not a string).
inline std::string str(const boost::json::value& v, std::string_view key) {
  const boost::json::value* member =
      v.as_object().if_contains(boost::json::string_view(key.data(), key.size()));
  if (member == nullptr || !member->is_string()) {
    ADD_FAILURE() << "no string member " << key;
    return "";
  }
  return std::string(member->get_string());
}

inline const boost::json::value& at(const boost::json::value& v, std::string_view key) {
  return v.as_object().at(boost::json::string_view(key.data(), key.size()));
}

// The Go SDK's test key pair (merchant key and, in the generated vectors,
// the platform key too) and the platform certificate D7CE59D1F522D701.
inline const PrivateKey& go_private_key() {
  static const PrivateKey key = [] {
    PrivateKey k;
    EXPECT_EQ(
        load_private_key(
            str(at(at(generated(), "keys"), "wechatpay_test_rsa_private_key_pkcs8"), "pem"), &k),
        Error::kOk);
    return k;
  }();
  return key;
}

inline const Certificate& platform_certificate() {
  static const Certificate cert = [] {
    Certificate c;
    EXPECT_EQ(
        load_certificate(
            str(at(at(generated(), "keys"), "wechatpay_test_platform_certificate"), "pem"), &c),
        Error::kOk);
    return c;
  }();
  return cert;
}

inline PlatformKeys platform_keys() {
  PlatformKeys keys;
  keys.add(platform_certificate().serial_hex, platform_certificate().key.share());
  return keys;
}

// The Wechatpay-* headers of a vector case's "headers" object.
inline SignedHeaders signed_headers(const boost::json::value& headers) {
  SignedHeaders h;
  h.timestamp = str(headers, "Wechatpay-Timestamp");
  h.nonce = str(headers, "Wechatpay-Nonce");
  h.signature = str(headers, "Wechatpay-Signature");
  h.serial = str(headers, "Wechatpay-Serial");
  return h;
}

inline int64_t int_at(const boost::json::value& v, std::string_view key) {
  return at(v, key).to_number<int64_t>();
}

}  // namespace oncepay::channels::wechatpay::testing
