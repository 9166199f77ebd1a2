#include "channels/network.hpp"

namespace oncepay::channels {

http::HttpClientOptions call_client_options(std::chrono::milliseconds timeout,
                                            std::size_t max_answer_bytes,
                                            const std::string& tls_ca_file) {
  http::HttpClientOptions c;
  c.connect_timeout = timeout;
  c.request_timeout = timeout;
  c.body_limit_bytes = max_answer_bytes;
  c.tls_ca_file = tls_ca_file;
  return c;
}

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace oncepay::channels
