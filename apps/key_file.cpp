#include "apps/key_file.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace oncepay::apps {

bool read_key_file(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    *error = "cannot read " + path + ": not a regular file";
    return false;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxKeyFileBytes) {
    *error = "cannot read " + path + ": larger than " + std::to_string(kMaxKeyFileBytes) +
             " bytes (not a key file)";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad() || out->size() > kMaxKeyFileBytes) {
    *error = "cannot read " + path;
    return false;
  }
  return true;
}

}  // namespace oncepay::apps
