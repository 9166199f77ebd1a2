// Tests for core/signature: header signing and verification, and the helpers.
#include "core/signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace oncepay::core {
namespace {

constexpr std::string_view kSecret = "whsec_test_secret";
constexpr std::string_view kBody = R"({"notify_id":"n1","payment_no":"p1","status":"SUCCESS"})";
constexpr int64_t kNow = 1'700'000'000;

std::string signature_of(const std::string& header) {
  return header.substr(header.find("v1=") + 3);
}

TEST(SignatureTest, SignHeaderHasDocumentedFormat) {
  std::string header = sign_header(kSecret, kNow, kBody);
  std::string expected_mac = hmac_sha256_hex(kSecret, "1700000000." + std::string(kBody));
  EXPECT_EQ(header, "t=1700000000,v1=" + expected_mac);
}

TEST(SignatureTest, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureTest, RoundTripVerifies) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow), SignatureCheck::kOk);
}

TEST(SignatureTest, EmptyBodyRoundTrips) {
  std::string header = sign_header(kSecret, kNow, "");
  EXPECT_EQ(verify_header(kSecret, header, "", kNow), SignatureCheck::kOk);
}

TEST(SignatureTest, WrongSecretIsMismatch) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header("another_secret", header, kBody, kNow), SignatureCheck::kMismatch);
}

TEST(SignatureTest, ChangedBodyIsMismatch) {
  std::string header = sign_header(kSecret, kNow, kBody);
  std::string changed(kBody);
  changed[changed.size() - 3] = 'X';
  EXPECT_EQ(verify_header(kSecret, header, changed, kNow), SignatureCheck::kMismatch);
}

TEST(SignatureTest, ChangedTimestampIsMismatch) {
  std::string header = sign_header(kSecret, kNow, kBody);
  std::string forged = "t=1700000001,v1=" + signature_of(header);
  EXPECT_EQ(verify_header(kSecret, forged, kBody, kNow), SignatureCheck::kMismatch);
}

TEST(SignatureTest, FlippedSignatureByteIsMismatch) {
  std::string header = sign_header(kSecret, kNow, kBody);
  header.back() = header.back() == '0' ? '1' : '0';
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow), SignatureCheck::kMismatch);
}

TEST(SignatureTest, AtToleranceEdgeIsAccepted) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow + 300), SignatureCheck::kOk);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow - 300), SignatureCheck::kOk);
}

TEST(SignatureTest, TooOldIsStale) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow + 301), SignatureCheck::kStale);
}

TEST(SignatureTest, TooFarInTheFutureIsStale) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow - 301), SignatureCheck::kStale);
}

TEST(SignatureTest, CustomToleranceApplies) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow + 10, 10), SignatureCheck::kOk);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow + 11, 10), SignatureCheck::kStale);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow, 0), SignatureCheck::kOk);
}

TEST(SignatureTest, StaleForgeryIsMismatchNotStale) {
  std::string header = sign_header("another_secret", kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow + 10'000), SignatureCheck::kMismatch);
}

TEST(SignatureTest, ExtremeClocksDoNotOverflow) {
  std::string header = sign_header(kSecret, 9'223'372'036'854'775'807, kBody);
  EXPECT_EQ(verify_header(kSecret, header, kBody, -9'223'372'036'854'775'807 - 1),
            SignatureCheck::kStale);
}

TEST(SignatureTest, EmptyHeaderIsMissing) {
  EXPECT_EQ(verify_header(kSecret, "", kBody, kNow), SignatureCheck::kMissing);
  EXPECT_EQ(verify_header(kSecret, "  \t ", kBody, kNow), SignatureCheck::kMissing);
}

TEST(SignatureTest, MissingTimestampIsMalformed) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, "v1=" + signature_of(header), kBody, kNow),
            SignatureCheck::kMalformed);
}

TEST(SignatureTest, MissingV1IsMalformed) {
  EXPECT_EQ(verify_header(kSecret, "t=1700000000", kBody, kNow), SignatureCheck::kMalformed);
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v0=abc", kBody, kNow), SignatureCheck::kMalformed);
}

TEST(SignatureTest, GarbageIsMalformed) {
  for (std::string_view garbage :
       {"garbage", "t=", "=1,v1=00", ",", "t=1700000000,", "t=1700000000,,v1=00"}) {
    EXPECT_EQ(verify_header(kSecret, garbage, kBody, kNow), SignatureCheck::kMalformed) << garbage;
  }
}

TEST(SignatureTest, NonNumericTimestampIsMalformed) {
  std::string v1 = signature_of(sign_header(kSecret, kNow, kBody));
  for (std::string t : {"abc", "-5", "+5", "1.5", "1e9", "99999999999999999999"}) {
    EXPECT_EQ(verify_header(kSecret, "t=" + t + ",v1=" + v1, kBody, kNow),
              SignatureCheck::kMalformed)
        << t;
  }
}

TEST(SignatureTest, DuplicateTimestampIsMalformed) {
  std::string header = sign_header(kSecret, kNow, kBody);
  EXPECT_EQ(verify_header(kSecret, header + ",t=1700000000", kBody, kNow),
            SignatureCheck::kMalformed);
}

TEST(SignatureTest, BadV1ValueIsMalformed) {
  std::string v1 = signature_of(sign_header(kSecret, kNow, kBody));
  std::string upper = v1;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + v1.substr(1), kBody, kNow),
            SignatureCheck::kMalformed);
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + v1 + "0", kBody, kNow),
            SignatureCheck::kMalformed);
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + upper, kBody, kNow),
            SignatureCheck::kMalformed);
}

TEST(SignatureTest, OverlongHeaderIsMalformed) {
  std::string header = sign_header(kSecret, kNow, kBody);
  header += ",x=" + std::string(kMaxSignatureHeaderBytes, 'a');
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow), SignatureCheck::kMalformed);
}

TEST(SignatureTest, TooManyEntriesIsMalformed) {
  std::string header = sign_header(kSecret, kNow, kBody);
  for (size_t i = 0; i < kMaxSignatureEntries; ++i) header += ",x=1";
  EXPECT_EQ(verify_header(kSecret, header, kBody, kNow), SignatureCheck::kMalformed);
}

TEST(SignatureTest, AnyMatchingV1EntryVerifies) {
  std::string good = signature_of(sign_header(kSecret, kNow, kBody));
  std::string other = signature_of(sign_header("old_secret", kNow, kBody));
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + other + ",v1=" + good, kBody, kNow),
            SignatureCheck::kOk);
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + good + ",v1=" + other, kBody, kNow),
            SignatureCheck::kOk);
  EXPECT_EQ(verify_header("old_secret", "v1=" + good + ",t=1700000000,v1=" + other, kBody, kNow),
            SignatureCheck::kOk);
}

TEST(SignatureTest, NoMatchingV1EntryIsMismatch) {
  std::string a = signature_of(sign_header("a", kNow, kBody));
  std::string b = signature_of(sign_header("b", kNow, kBody));
  EXPECT_EQ(verify_header(kSecret, "t=1700000000,v1=" + a + ",v1=" + b, kBody, kNow),
            SignatureCheck::kMismatch);
}

TEST(SignatureTest, UnknownSchemesAndSpacesAreTolerated) {
  std::string v1 = signature_of(sign_header(kSecret, kNow, kBody));
  EXPECT_EQ(verify_header(kSecret, " t=1700000000 , v0=zzz , v1=" + v1 + " ", kBody, kNow),
            SignatureCheck::kOk);
}

TEST(SignatureTest, ToStringNamesEveryResult) {
  EXPECT_EQ(to_string(SignatureCheck::kOk), "ok");
  EXPECT_EQ(to_string(SignatureCheck::kMissing), "missing");
  EXPECT_EQ(to_string(SignatureCheck::kMalformed), "malformed");
  EXPECT_EQ(to_string(SignatureCheck::kStale), "stale");
  EXPECT_EQ(to_string(SignatureCheck::kMismatch), "mismatch");
}

TEST(Sha256HexTest, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(RandomTokenTest, IsLowerHexOfRequestedLength) {
  std::string token = random_token(32);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(random_token(1).size(), 2u);
  EXPECT_EQ(random_token(kMaxRandomTokenBytes).size(), 2 * kMaxRandomTokenBytes);
}

TEST(RandomTokenTest, TokensDiffer) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(random_token(16));
  EXPECT_EQ(tokens.size(), 100u);
}

}  // namespace
}  // namespace oncepay::core
