// The fixed test keys the fault simulation's two channels use (PEM text),
// generated at build time from tests/channels/vectors/generated_locally.json
// "keys" (docs/channels/PROTOCOLS.md D) by sim/CMakeLists.txt into
// <build>/sim/sim_keys.cpp, so oncepay-simulate needs no source tree to run.
// WeChat Pay uses one key pair for the merchant and the platform (the vector
// set has one); Alipay has an app pair and a platform pair.
//
// Threads and ownership: immutable static strings, any thread.
// Failure modes: none here; the loaders of the protocol parts check the text.
#pragma once

#include <string_view>

namespace oncepay::sim {

struct SimKeys {
  std::string_view wechatpay_private_pem;  // merchant and platform private key (PKCS#8)
  std::string_view wechatpay_public_pem;   // its public key
  std::string_view wechatpay_apiv3_key;    // 32 bytes
  std::string_view wechatpay_mchid;
  std::string_view wechatpay_serial;  // the merchant certificate's serial_no
  std::string_view alipay_app_private_pem;
  std::string_view alipay_app_public_pem;
  std::string_view alipay_platform_private_pem;
  std::string_view alipay_platform_public_pem;
};

const SimKeys& sim_keys();

}  // namespace oncepay::sim
