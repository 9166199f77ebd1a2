// What the network channel adapters (sim, wechatpay, alipay) share besides
// the breaker: the HTTP client options of a call, and the clock their
// breakers are fed with. Pure helpers, any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/http_client.hpp"

namespace oncepay::channels {

// A channel call's client: connect and exchange each bounded by the call's
// own timeout (the call's deadline cuts them shorter still), answers up to
// `max_answer_bytes`, `tls_ca_file` trusted on top of the system store.
http::HttpClientOptions call_client_options(std::chrono::milliseconds timeout,
                                            std::size_t max_answer_bytes,
                                            const std::string& tls_ca_file = {});

// Monotonic milliseconds (steady clock), for CircuitBreaker / EndpointBreakers.
int64_t steady_now_ms();

}  // namespace oncepay::channels
