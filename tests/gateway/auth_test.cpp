// gateway/auth.hpp and gateway/audit.hpp: the tokens file (its lines, its
// mode), roles, sessions on a clock the test moves, CSRF, cookies, the
// sign-in limit, and the audit ring and file.
#include "gateway/auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/signature.hpp"
#include "gateway/audit.hpp"
#include "gateway/role.hpp"

namespace oncepay::gateway {
namespace {

const std::string kHashA = core::sha256_hex("token-a");
const std::string kHashB = core::sha256_hex("token-b");

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "oncepay-auth-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name, const std::string& text, mode_t mode) const {
    const std::string path = path_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------- roles

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    Role parsed = Role::kViewer;
    ASSERT_TRUE(parse_role(to_string(role), &parsed));
    EXPECT_EQ(parsed, role);
  }
  Role ignored;
  EXPECT_FALSE(parse_role("Admin", &ignored));
  EXPECT_FALSE(parse_role("root", &ignored));
}

TEST(RoleTest, EachRoleMayDoWhatTheOnesBelowMay) {
  EXPECT_TRUE(role_allows(Role::kAdmin, Role::kAdmin));
  EXPECT_TRUE(role_allows(Role::kAdmin, Role::kViewer));
  EXPECT_TRUE(role_allows(Role::kOperator, Role::kOperator));
  EXPECT_FALSE(role_allows(Role::kOperator, Role::kAdmin));
  EXPECT_FALSE(role_allows(Role::kViewer, Role::kOperator));
}

// ---------------------------------------------------------------- the tokens file

TEST(TokensFileTest, ParsesOperatorsCommentsAndBlankLines) {
  std::vector<Operator> ops;
  std::string error;
  ASSERT_TRUE(parse_operators(
      "# operators\n\nalice viewer " + kHashA + "\n  \t\nbob\toperator  " + kHashB + "\r\n", &ops,
      &error))
      << error;
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].name, "alice");
  EXPECT_EQ(ops[0].role, Role::kViewer);
  EXPECT_EQ(ops[0].token_sha256, kHashA);
  EXPECT_EQ(ops[1].name, "bob");
  EXPECT_EQ(ops[1].role, Role::kOperator);
}

TEST(TokensFileTest, UpperCaseHexIsTakenAsLowerCase) {
  std::string upper = kHashA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<Operator> ops;
  std::string error;
  ASSERT_TRUE(parse_operators("alice admin " + upper, &ops, &error)) << error;
  EXPECT_EQ(ops[0].token_sha256, kHashA);
}

TEST(TokensFileTest, AnEmptyFileHasNoOperators) {
  std::vector<Operator> ops{{"x", Role::kAdmin, kHashA}};
  std::string error;
  ASSERT_TRUE(parse_operators("# nobody yet\n", &ops, &error));
  EXPECT_TRUE(ops.empty());
}

TEST(TokensFileTest, BadLinesAreNamedByNumber) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"alice viewer", "line 1: expected 3 fields"},
      {"# c\nalice viewer " + kHashA + " extra", "line 2: expected 3 fields"},
      {"alice root " + kHashA, "line 1: the role must be"},
      {"alice viewer abc", "line 1: the token's SHA-256 must be 64 hex digits"},
      {"alice viewer " + std::string(64, 'g'), "line 1: the token's SHA-256"},
      {"al/ice viewer " + kHashA, "line 1: the name must be"},
      {std::string(65, 'a') + " viewer " + kHashA, "line 1: the name must be"},
      {"alice viewer " + kHashA + "\n\nalice admin " + kHashB,
       "line 3: operator \"alice\" appears"},
      {"alice viewer " + kHashA + "\nbob admin " + kHashA, "line 2: the token of \"bob\""},
  };
  for (const auto& c : cases) {
    std::vector<Operator> ops;
    std::string error;
    EXPECT_FALSE(parse_operators(c.text, &ops, &error)) << c.text;
    EXPECT_EQ(error.rfind(c.error, 0), 0u) << error;
    EXPECT_TRUE(ops.empty());
  }
}

TEST(TokensFileTest, TheFileOfItsOwnerOnlyLoads) {
  TempDir dir;
  const std::string path = dir.file("tokens", "alice viewer " + kHashA + "\n", 0600);
  std::vector<Operator> ops;
  std::string error;
  ASSERT_TRUE(load_operators_file(path, &ops, &error)) << error;
  EXPECT_EQ(ops.size(), 1u);
  const std::string read_only = dir.file("tokens-ro", "alice viewer " + kHashA + "\n", 0400);
  EXPECT_TRUE(load_operators_file(read_only, &ops, &error)) << error;
}

TEST(TokensFileTest, AFileTheGroupOrOthersMayReadIsRefused) {
  TempDir dir;
  for (mode_t mode : {0640u, 0604u, 0660u, 0644u, 0610u}) {
    const std::string path = dir.file("tokens", "alice viewer " + kHashA + "\n", mode);
    std::vector<Operator> ops;
    std::string error;
    EXPECT_FALSE(load_operators_file(path, &ops, &error)) << std::oct << mode;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  }
}

TEST(TokensFileTest, AMissingFileOrADirectoryIsRefused) {
  TempDir dir;
  std::vector<Operator> ops;
  std::string error;
  EXPECT_FALSE(load_operators_file(dir.path() + "/nope", &ops, &error));
  EXPECT_NE(error.find("cannot be read"), std::string::npos) << error;
  chmod(dir.path().c_str(), 0700);
  EXPECT_FALSE(load_operators_file(dir.path(), &ops, &error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

TEST(TokensFileTest, ABadLineInTheFileIsNamedWithThePath) {
  TempDir dir;
  const std::string path = dir.file("tokens", "alice viewer " + kHashA + "\nbob boss x\n", 0600);
  std::vector<Operator> ops;
  std::string error;
  EXPECT_FALSE(load_operators_file(path, &ops, &error));
  EXPECT_EQ(error, path + ": line 2: the role must be viewer, operator or admin, not \"boss\"");
}

// ---------------------------------------------------------------- operators

TEST(OperatorsTest, ATokenFindsItsOperator) {
  Operators ops({{"alice", Role::kViewer, kHashA}, {"bob", Role::kAdmin, kHashB}});
  auto found = ops.authenticate("token-b");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "bob");
  EXPECT_EQ(found->role, Role::kAdmin);
  EXPECT_FALSE(ops.authenticate("token-c").has_value());
  EXPECT_FALSE(ops.authenticate("").has_value());
  EXPECT_FALSE(ops.authenticate(kHashA).has_value()) << "the hash is not the token";
}

// ---------------------------------------------------------------- sessions

class SessionsTest : public ::testing::Test {
 protected:
  int64_t now_ms_ = 1'700'000'000'000;
  Sessions sessions_{60'000, [this] { return now_ms_; }, 3};
  const Operator alice_{"alice", Role::kOperator, kHashA};
};

TEST_F(SessionsTest, ASessionHas256BitValuesAndItsOperator) {
  const NewSession created = sessions_.create(alice_);
  EXPECT_EQ(created.cookie_value.size(), 64u);
  EXPECT_EQ(created.session.csrf_token.size(), 64u);
  EXPECT_NE(created.cookie_value, created.session.csrf_token);
  EXPECT_EQ(created.session.expires_at_ms, now_ms_ + 60'000);
  auto found = sessions_.find(created.cookie_value);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->operator_name, "alice");
  EXPECT_EQ(found->role, Role::kOperator);
  EXPECT_EQ(found->csrf_token, created.session.csrf_token);
}

TEST_F(SessionsTest, TwoSignInsGetDifferentSessions) {
  const NewSession a = sessions_.create(alice_);
  const NewSession b = sessions_.create(alice_);
  EXPECT_NE(a.cookie_value, b.cookie_value);
  EXPECT_NE(a.session.csrf_token, b.session.csrf_token);
}

TEST_F(SessionsTest, ASessionExpiresOnTheServersClock) {
  const NewSession created = sessions_.create(alice_);
  now_ms_ += 59'999;
  EXPECT_TRUE(sessions_.find(created.cookie_value).has_value());
  now_ms_ += 1;
  EXPECT_FALSE(sessions_.find(created.cookie_value).has_value());
  EXPECT_EQ(sessions_.size(), 0u) << "an expired session is erased";
}

TEST_F(SessionsTest, AnEndedSessionIsGone) {
  const NewSession created = sessions_.create(alice_);
  EXPECT_TRUE(sessions_.end(created.cookie_value));
  EXPECT_FALSE(sessions_.find(created.cookie_value).has_value());
  EXPECT_FALSE(sessions_.end(created.cookie_value));
}

TEST_F(SessionsTest, UnknownOrEmptyCookiesFindNothing) {
  sessions_.create(alice_);
  EXPECT_FALSE(sessions_.find("").has_value());
  EXPECT_FALSE(sessions_.find(std::string(64, 'a')).has_value());
}

TEST_F(SessionsTest, WhenFullTheSessionThatExpiresFirstGoes) {
  const NewSession first = sessions_.create(alice_);
  now_ms_ += 10;
  const NewSession second = sessions_.create(alice_);
  const NewSession third = sessions_.create(alice_);
  const NewSession fourth = sessions_.create(alice_);
  EXPECT_EQ(sessions_.size(), 3u);
  EXPECT_FALSE(sessions_.find(first.cookie_value).has_value());
  EXPECT_TRUE(sessions_.find(second.cookie_value).has_value());
  EXPECT_TRUE(sessions_.find(third.cookie_value).has_value());
  EXPECT_TRUE(sessions_.find(fourth.cookie_value).has_value());
}

TEST(CsrfTest, OnlyTheSessionsOwnTokenMatches) {
  Session session;
  session.csrf_token = std::string(64, 'c');
  EXPECT_TRUE(csrf_matches(session, std::string(64, 'c')));
  EXPECT_FALSE(csrf_matches(session, ""));
  EXPECT_FALSE(csrf_matches(session, std::string(64, 'd')));
  EXPECT_FALSE(csrf_matches(session, std::string(63, 'c')));
  Session without;
  EXPECT_FALSE(csrf_matches(without, "")) << "an empty token never matches";
}

// ---------------------------------------------------------------- cookies

TEST(CookieTest, TheSessionCookieIsFoundAmongOthers) {
  EXPECT_EQ(cookie_value("oncepay_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("a=1; oncepay_session=abc; b=2", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("a=1;oncepay_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("xoncepay_session=abc", kSessionCookie), "");
  EXPECT_EQ(cookie_value("", kSessionCookie), "");
  EXPECT_EQ(cookie_value("oncepay_session", kSessionCookie), "");
}

TEST(CookieTest, SetCookieSaysHttpOnlyStrictPathAndMaxAge) {
  EXPECT_EQ(session_set_cookie("v", 28800, false),
            "oncepay_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800");
  EXPECT_EQ(session_set_cookie("v", 60, true),
            "oncepay_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure");
  EXPECT_EQ(session_clear_cookie(false),
            "oncepay_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

// ---------------------------------------------------------------- sign-in limit

TEST(SignInLimiterTest, TooManyFailuresWaitForTheWindowToEnd) {
  SignInLimiter limiter;
  int64_t now = 1'000'000;
  for (int i = 0; i < SignInLimiter::kMaxFailures; ++i) {
    EXPECT_TRUE(limiter.allowed("10.0.0.1", now));
    limiter.failed("10.0.0.1", now);
  }
  EXPECT_FALSE(limiter.allowed("10.0.0.1", now));
  EXPECT_TRUE(limiter.allowed("10.0.0.2", now)) << "another client is not limited";
  EXPECT_FALSE(limiter.allowed("10.0.0.1", now + SignInLimiter::kWindowMs - 1));
  EXPECT_TRUE(limiter.allowed("10.0.0.1", now + SignInLimiter::kWindowMs));
}

// ---------------------------------------------------------------- audit

AuditEntry entry(std::string name, int status, std::string reason = {}) {
  AuditEntry e;
  e.at_ms = 1'700'000'000'123;
  e.operator_name = std::move(name);
  e.role = "operator";
  e.method = "POST";
  e.route = "/admin/merchants";
  e.target = "/admin/merchants";
  e.status = status;
  e.reason = std::move(reason);
  return e;
}

TEST(AuditLogTest, ListsNewestFirstWithACursor) {
  AuditLog log(100);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.append(entry("op" + std::to_string(i), 200)));
  AuditLog::Page page;
  ASSERT_TRUE(log.list("", 2, &page));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].seq, 5u);
  EXPECT_EQ(page.items[0].operator_name, "op4");
  EXPECT_EQ(page.items[1].seq, 4u);
  EXPECT_EQ(page.next, "4");
  ASSERT_TRUE(log.list(page.next, 2, &page));
  EXPECT_EQ(page.items[0].seq, 3u);
  EXPECT_EQ(page.next, "2");
  ASSERT_TRUE(log.list(page.next, 2, &page));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].seq, 1u);
  EXPECT_EQ(page.next, "");
}

TEST(AuditLogTest, MalformedCursorsAreRefused) {
  AuditLog log(10);
  AuditLog::Page page;
  EXPECT_FALSE(log.list("x", 10, &page));
  EXPECT_FALSE(log.list("0", 10, &page));
  EXPECT_FALSE(log.list("-1", 10, &page));
  EXPECT_FALSE(log.list("12a", 10, &page));
  EXPECT_TRUE(log.list("99", 10, &page));
  EXPECT_TRUE(page.items.empty());
}

TEST(AuditLogTest, TheRingKeepsTheNewestEntries) {
  AuditLog log(3);
  for (int i = 0; i < 5; ++i) log.append(entry("op" + std::to_string(i), 200));
  AuditLog::Page page;
  ASSERT_TRUE(log.list("", 10, &page));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items.front().seq, 5u);
  EXPECT_EQ(page.items.back().seq, 3u);
  EXPECT_EQ(page.next, "");
}

TEST(AuditLogTest, EntriesSurviveAReopenOfTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/audit.log";
  std::string error;
  {
    auto log = AuditLog::open(path, 100, &error);
    ASSERT_NE(log, nullptr) << error;
    ASSERT_TRUE(log->append(entry("alice", 201, "new merchant")));
    ASSERT_TRUE(log->append(entry("bob", 403)));
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto log = AuditLog::open(path, 100, &error);
  ASSERT_NE(log, nullptr) << error;
  ASSERT_TRUE(log->append(entry("carol", 200)));
  AuditLog::Page page;
  ASSERT_TRUE(log->list("", 10, &page));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].seq, 3u) << "numbering goes on after a restart";
  EXPECT_EQ(page.items[1].operator_name, "bob");
  EXPECT_EQ(page.items[1].status, 403);
  EXPECT_EQ(page.items[2].reason, "new merchant");
  EXPECT_EQ(page.items[2].at_ms, 1'700'000'000'123);
}

TEST(AuditLogTest, ACorruptLineStopsTheOpen) {
  TempDir dir;
  const std::string path = dir.file("audit.log", "{\"seq\":1}\nnot json\n", 0600);
  std::string error;
  EXPECT_EQ(AuditLog::open(path, 100, &error), nullptr);
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
}

TEST(AuditLogTest, TheReasonComesFromTheBodyCut) {
  EXPECT_EQ(reason_of(R"({"amount":1,"reason":"payer asked"})"), "payer asked");
  EXPECT_EQ(reason_of(R"({"amount":1})"), "");
  EXPECT_EQ(reason_of(R"({"reason":7})"), "");
  EXPECT_EQ(reason_of("not json \"reason\""), "");
  EXPECT_EQ(reason_of(R"({"reason":")" + std::string(600, 'x') + "\"}").size(),
            kMaxAuditReasonBytes);
  // A cut never splits a UTF-8 sequence: 3-byte characters, 512 = 3 * 170 + 2.
  std::string chinese;
  for (int i = 0; i < 200; ++i) chinese += "\xe9\x80\x80";
  EXPECT_EQ(reason_of(R"({"reason":")" + chinese + "\"}").size(), 510u);
}

}  // namespace
}  // namespace oncepay::gateway
