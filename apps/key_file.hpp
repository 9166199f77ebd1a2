// Reading a key file named on the command line (the channel simulator's
// --wechatpay.* / --alipay.* key flags). Pure I/O helper, any thread.
// Failure modes: false with *error naming the file and why (not a regular
// file, unreadable, larger than kMaxKeyFileBytes); the content is never put
// in the error.
#pragma once

#include <cstddef>
#include <string>

namespace oncepay::apps {

// A PEM RSA key or a 32-byte APIv3 key is a few KiB at most: anything larger
// (a wrong path, /dev/zero) is refused before it is read.
inline constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

bool read_key_file(const std::string& path, std::string* out, std::string* error);

}  // namespace oncepay::apps
