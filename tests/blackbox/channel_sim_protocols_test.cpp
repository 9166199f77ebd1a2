// Black-box tests of `oncepay-channel-sim --protocol=wechatpay-v3|alipay`:
// the command line (key files, exit 2 on a missing or wrong key without
// printing it, --help), and one signed exchange per protocol against the
// real binary, checked with the protocol parts (channels/wechatpay,
// channels/alipay). Keys: tests/channels/vectors/generated_locally.json. The
// protocols themselves are tested in-process in tests/apps/sim_*_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "channels/alipay/alipay_gateway.hpp"
#include "channels/alipay/alipay_methods.hpp"
#include "channels/alipay/alipay_response.hpp"
#include "channels/wechatpay/api.hpp"
#include "channels/wechatpay/replies.hpp"
#include "channels/wechatpay/signature.hpp"
#include "core/wall_clock.hpp"
#include "daemon_process.hpp"
#include "http/http_client.hpp"

namespace oncepay {
namespace {

using namespace std::chrono_literals;
namespace wx = channels::wechatpay;
namespace ali = channels::alipay;

constexpr const char* kMchid = "1230000109";
constexpr const char* kKeyId = "PUB_KEY_ID_0112300001092026113000000000000001";
constexpr const char* kAppId = "2021000000000001";

std::string sim_binary() { return ONCEPAY_CHANNEL_SIM_PATH; }

std::string vector_key(std::string_view name) {
  std::ifstream in(std::string(ONCEPAY_VECTORS_DIR) + "/generated_locally.json");
  std::stringstream text;
  text << in.rdbuf();
  const boost::json::value all = boost::json::parse(text.str());
  const auto& entry = all.as_object()
                          .at("keys")
                          .as_object()
                          .at(boost::json::string_view(name.data(), name.size()))
                          .as_object();
  if (const auto* pem = entry.if_contains("pem")) return std::string(pem->get_string());
  return std::string(entry.at("value").get_string());
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ChannelSimProtocolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("oncepay-sim-protocols-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    wx_private_ = write("wx_private.pem", vector_key("wechatpay_test_rsa_private_key_pkcs8"));
    wx_public_ = write("wx_public.pem", vector_key("wechatpay_test_rsa_public_key"));
    apiv3_ = write("apiv3.key", vector_key("wechatpay_apiv3_key"));
    ali_app_public_ = write("ali_app_public.pem", vector_key("alipay_app_rsa_public_key"));
    ali_platform_private_ =
        write("ali_platform.pem", vector_key("alipay_platform_rsa_private_key_pkcs8"));
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::vector<std::string> wechatpay_args() const {
    return {"--listen=127.0.0.1:0",
            "--protocol=wechatpay-v3",
            std::string("--wechatpay.mchid=") + kMchid,
            "--wechatpay.merchant-public-key-file=" + wx_public_,
            "--wechatpay.platform-private-key-file=" + wx_private_,
            std::string("--wechatpay.platform-public-key-id=") + kKeyId,
            "--wechatpay.apiv3-key-file=" + apiv3_};
  }

  std::vector<std::string> alipay_args() const {
    return {"--listen=127.0.0.1:0", "--protocol=alipay", std::string("--alipay.app-id=") + kAppId,
            "--alipay.app-public-key-file=" + ali_app_public_,
            "--alipay.platform-private-key-file=" + ali_platform_private_};
  }

  // Runs the binary to its exit (it must exit at once: a bad command line);
  // its stderr goes to *stderr_text.
  int exit_code(std::vector<std::string> args, std::string* stderr_text) {
    const std::string err_path = (dir_ / "stderr.txt").string();
    std::filesystem::remove(err_path);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const std::string binary = sim_binary();
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    *stderr_text = read_all(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::filesystem::path dir_;
  std::string wx_private_, wx_public_, apiv3_, ali_app_public_, ali_platform_private_;
};

TEST_F(ChannelSimProtocolsTest, HelpListsTheProtocolFlags) {
  FILE* pipe = ::popen((sim_binary() + " --help").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0);
  for (const char* flag :
       {"--protocol=", "--wechatpay.mchid", "--wechatpay.merchant-public-key-file",
        "--wechatpay.platform-private-key-file", "--wechatpay.platform-public-key-id",
        "--wechatpay.apiv3-key-file", "--alipay.app-id", "--alipay.app-public-key-file",
        "--alipay.platform-private-key-file"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(ChannelSimProtocolsTest, AMissingKeyFileExits2NamingIt) {
  auto args = wechatpay_args();
  args.back() = "--wechatpay.apiv3-key-file=" + (dir_ / "absent.key").string();
  std::string err;
  EXPECT_EQ(exit_code(args, &err), 2);
  EXPECT_NE(err.find("absent.key"), std::string::npos) << err;
}

TEST_F(ChannelSimProtocolsTest, APrivateKeyGivenAsThePublicKeyExits2WithoutPrintingIt) {
  auto args = wechatpay_args();
  args[3] = "--wechatpay.merchant-public-key-file=" + wx_private_;
  std::string err;
  EXPECT_EQ(exit_code(args, &err), 2);
  EXPECT_NE(err.find("wx_private.pem"), std::string::npos) << err;
  EXPECT_EQ(err.find("MII"), std::string::npos) << "key bytes printed";
  EXPECT_EQ(err.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(ChannelSimProtocolsTest, AnApiV3KeyOfAnotherLengthExits2) {
  auto args = wechatpay_args();
  args.back() = "--wechatpay.apiv3-key-file=" + write("short.key", "0123456789");
  std::string err;
  EXPECT_EQ(exit_code(args, &err), 2);
  EXPECT_NE(err.find("32 bytes"), std::string::npos) << err;
  EXPECT_EQ(err.find("0123456789"), std::string::npos);
}

// /dev/zero (or any huge file) is refused before it is read: no unbounded read.
TEST_F(ChannelSimProtocolsTest, AKeyFileThatIsNotARegularSmallFileExits2) {
  auto args = wechatpay_args();
  args.back() = "--wechatpay.apiv3-key-file=/dev/zero";
  std::string err;
  EXPECT_EQ(exit_code(args, &err), 2);
  EXPECT_NE(err.find("/dev/zero"), std::string::npos) << err;
  args.back() = "--wechatpay.apiv3-key-file=" + write("big.key", std::string(70 * 1024, 'k'));
  EXPECT_EQ(exit_code(args, &err), 2);
  EXPECT_NE(err.find("larger than"), std::string::npos) << err;
}

TEST_F(ChannelSimProtocolsTest, MissingProtocolFlagsOrAnUnknownProtocolExit2) {
  std::string err;
  EXPECT_EQ(exit_code({"--listen=127.0.0.1:0", "--protocol=alipay"}, &err), 2);
  EXPECT_NE(err.find("--alipay.app-id"), std::string::npos) << err;
  EXPECT_EQ(exit_code({"--listen=127.0.0.1:0", "--protocol=paypal"}, &err), 2);
  auto args = alipay_args();
  args[3] = "--alipay.app-public-key-file=" + ali_platform_private_;
  EXPECT_EQ(exit_code(args, &err), 2);
}

TEST_F(ChannelSimProtocolsTest, WechatpayV3AnswersSignedAndRefusesUnsignedRequests) {
  testing::DaemonProcess sim(sim_binary(), wechatpay_args());
  wx::PrivateKey merchant;
  ASSERT_EQ(wx::load_private_key(vector_key("wechatpay_test_rsa_private_key_pkcs8"), &merchant),
            wx::Error::kOk);
  wx::PlatformKeys platform;
  platform.add(kKeyId, wx::public_key_of(merchant));
  wx::PrepayRequest req;
  req.appid = "wxd678efh567hg6787";
  req.mchid = kMchid;
  req.description = "coffee";
  req.out_trade_no = "P20261130000201";
  req.notify_url = "http://127.0.0.1:9/notify";
  req.total_fen = 1999;
  const std::string body = wx::prepay_body(req);
  const std::string path(wx::kNativePrepayPath);
  std::string authorization;
  ASSERT_EQ(wx::sign_request(merchant, kMchid, "F5765756002FDD77", "POST", path,
                             core::unix_seconds(), "nonce-blackbox-1", body, &authorization),
            wx::Error::kOk);
  auto r = http::http_request_blocking("POST", sim.base_url() + path,
                                       {{"Authorization", authorization}}, body, 3000ms);
  ASSERT_TRUE(r.ok) << r.error;
  auto header = [&](std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return std::string();
  };
  wx::SignedHeaders h{header("wechatpay-timestamp"), header("wechatpay-nonce"),
                      header("wechatpay-signature"), header("wechatpay-serial")};
  const auto verified = wx::verify_signed(h, r.body, platform, core::unix_seconds());
  EXPECT_EQ(verified, wx::Error::kOk);
  EXPECT_EQ(wx::prepay_reply({r.status, r.body, verified}, false).outcome,
            core::ChannelOutcome::kOk)
      << r.body;

  auto unsigned_r = http::http_request_blocking("POST", sim.base_url() + path, {}, body, 3000ms);
  ASSERT_TRUE(unsigned_r.ok);
  EXPECT_EQ(unsigned_r.status, 401);
  EXPECT_NE(unsigned_r.body.find("SIGN_ERROR"), std::string::npos);
  EXPECT_EQ(sim.stop(SIGTERM), 0);
}

TEST_F(ChannelSimProtocolsTest, AlipayAnswersSignedResponses) {
  testing::DaemonProcess sim(sim_binary(), alipay_args());
  std::string error;
  auto app_key = ali::load_private_key(vector_key("alipay_app_rsa_private_key_pkcs8"), &error);
  ASSERT_TRUE(app_key) << error;
  auto platform = ali::load_public_key(vector_key("alipay_platform_rsa_public_key"), &error);
  ASSERT_TRUE(platform) << error;
  ali::RequestSpec spec;
  spec.app_id = kAppId;
  spec.method = std::string(ali::kMethodPrecreate);
  spec.biz_content =
      ali::pay_biz_content({"P20261130000202", 1999, "coffee", core::unix_ms() + 900'000, ""});
  spec.now_unix_ms = core::unix_ms();
  auto r = http::http_request_blocking("POST", sim.base_url() + "/gateway.do",
                                       {{"Content-Type", std::string(ali::kFormContentType)}},
                                       ali::build_request_body(spec, *app_key), 3000ms);
  ASSERT_TRUE(r.ok) << r.error;
  auto verified = ali::verify_response(r.body, spec.method, *platform);
  ASSERT_EQ(verified.verdict, ali::Verdict::kOk) << verified.detail << " " << r.body;
  EXPECT_EQ(ali::read_reply(spec.method, verified).outcome, core::ChannelOutcome::kOk);
  EXPECT_EQ(sim.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace oncepay
