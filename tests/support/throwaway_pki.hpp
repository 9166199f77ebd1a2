// Test helper: throwaway keys and certificates made with OpenSSL while the
// test runs, so that no key is ever checked in and nothing expires in the
// repository. Used by the TLS tests of the gateway's server
// (tests/http/http_server_tls_test.cpp), of the outbound client
// (tests/http/http_client_tls_test.cpp) and by the https webhook black-box
// test. Keys are EC P-256; certificates are valid from an hour ago for a day.
//
// Two shapes: a self-signed certificate (its own trust anchor), or a TestCa
// that issues server certificates, which is what a merchant's https
// receiver with a private CA looks like.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace oncepay::tls_testing {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

inline PkeyPtr make_key() { return PkeyPtr(EVP_EC_gen("P-256"), &EVP_PKEY_free); }

struct CertificateSpec {
  std::string common_name = "127.0.0.1";
  // OpenSSL's syntax, e.g. "IP:127.0.0.1, DNS:localhost"; empty: none.
  std::string subject_alt_name = "IP:127.0.0.1";
  bool ca = false;  // basicConstraints CA:TRUE and keyCertSign
  long serial = 1;
};

namespace detail {

// Adds one extension in OpenSSL's config syntax; false when it cannot.
inline bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  const bool ok = extension != nullptr && X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

}  // namespace detail

// `key`'s certificate as `spec` says, signed by `issuer` with `issuer_key`,
// or self-signed when `issuer` is null. Null on any OpenSSL failure.
inline X509Ptr make_certificate(EVP_PKEY* key, const CertificateSpec& spec, X509* issuer = nullptr,
                                EVP_PKEY* issuer_key = nullptr) {
  X509Ptr cert(X509_new(), &X509_free);
  if (!cert) return cert;
  X509_set_version(cert.get(), 2);  // v3, for the extensions
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok = true;
  if (spec.ca) {
    ok = detail::add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         detail::add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  if (ok && !spec.subject_alt_name.empty()) {
    ok = detail::add_extension(cert.get(), signer, NID_subject_alt_name, spec.subject_alt_name);
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer_key : key;
  if (!ok || X509_sign(cert.get(), signing_key, EVP_sha256()) == 0) cert.reset();
  return cert;
}

inline bool write_key(EVP_PKEY* key, const std::string& path) {
  BIO* out = BIO_new_file(path.c_str(), "w");
  if (out == nullptr) return false;
  const bool ok = PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  BIO_free(out);
  return ok;
}

inline bool write_certificate(X509* cert, const std::string& path) {
  BIO* out = BIO_new_file(path.c_str(), "w");
  if (out == nullptr) return false;
  const bool ok = PEM_write_bio_X509(out, cert) == 1;
  BIO_free(out);
  return ok;
}

// A certificate authority that lives as long as the test. Give two CAs of
// one test different names: a verifier matches issuers by name first.
class TestCa {
 public:
  explicit TestCa(std::string name = "oncepay test CA")
      : key_(make_key()), cert_(nullptr, &X509_free) {
    if (key_) {
      cert_ = make_certificate(
          key_.get(), {.common_name = std::move(name), .subject_alt_name = "", .ca = true});
    }
  }

  bool ok() const { return key_ && cert_; }

  // The CA certificate (what a client trusts), PEM.
  bool write(const std::string& ca_file) const { return write_certificate(cert_.get(), ca_file); }

  // A fresh key and a server certificate for `subject_alt_name` (e.g.
  // "IP:127.0.0.1") signed by this CA, written to cert_file and key_file.
  bool issue(const std::string& subject_alt_name, const std::string& cert_file,
             const std::string& key_file) {
    PkeyPtr key = make_key();
    if (!key) return false;
    CertificateSpec spec;
    spec.common_name = "oncepay test server";
    spec.subject_alt_name = subject_alt_name;
    spec.serial = ++last_serial_;
    X509Ptr cert = make_certificate(key.get(), spec, cert_.get(), key_.get());
    return cert && write_certificate(cert.get(), cert_file) && write_key(key.get(), key_file);
  }

 private:
  PkeyPtr key_;
  X509Ptr cert_;
  long last_serial_ = 1;
};

}  // namespace oncepay::tls_testing
