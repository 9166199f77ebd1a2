// Test helpers: the channel vectors of tests/channels/vectors/ (see
// docs/channels/PROTOCOLS.md D) read with Boost.JSON, and the keys in them.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "channels/alipay/alipay_keys.hpp"
#include "channels/alipay/alipay_params.hpp"

namespace oncepay::channels::alipay::testing {

inline boost::json::value load_vectors(const std::string& name) {
  std::ifstream in(std::string(ONCEPAY_VECTORS_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

inline const boost::json::value& alipay_rsa2() {
  static const boost::json::value v = load_vectors("alipay_rsa2_signatures.json");
  return v;
}

inline const boost::json::value& generated() {
  static const boost::json::value v = load_vectors("generated_locally.json");
  return v;
}

inline std::string str(const boost::json::value& v) {
  const boost::json::string& s = v.as_string();
  return std::string(s.data(), s.size());
}

inline std::string str(const boost::json::value& v, std::string_view key) {
  return str(v.as_object().at(key));
}

inline Params params_of(const boost::json::value& object) {
  Params params;
  for (const auto& member : object.as_object()) {
    params[std::string(member.key())] = str(member.value());
  }
  return params;
}

inline std::string generated_key_pem(std::string_view name) {
  return str(generated().at("keys").at(name), "pem");
}

inline RsaPrivateKey app_private_key() {
  return *load_private_key(generated_key_pem("alipay_app_rsa_private_key_pkcs8"), nullptr);
}
inline RsaPublicKey app_public_key() {
  return *load_public_key(generated_key_pem("alipay_app_rsa_public_key"), nullptr);
}
inline RsaPrivateKey platform_private_key() {
  return *load_private_key(generated_key_pem("alipay_platform_rsa_private_key_pkcs8"), nullptr);
}
inline RsaPublicKey platform_public_key() {
  return *load_public_key(generated_key_pem("alipay_platform_rsa_public_key"), nullptr);
}

}  // namespace oncepay::channels::alipay::testing
