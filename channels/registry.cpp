#include "channels/registry.hpp"

#include "core/check.hpp"

namespace oncepay::channels {

namespace {

std::string_view first_segment(std::string_view pattern) {
  auto parts = http::split_path(pattern);
  return parts.empty() ? std::string_view{} : parts.front();
}

}  // namespace

ChannelRegistry::~ChannelRegistry() {
  // Later channels may use earlier ones (none does yet): release in reverse.
  while (!entries_.empty()) entries_.pop_back();
}

bool ChannelRegistry::add(ChannelEntry entry, std::string* error) {
  if (entry.name.empty()) {
    *error = "a channel needs a name";
    return false;
  }
  if (find(entry.name) != nullptr) {
    *error = "two channels named \"" + entry.name + "\"";
    return false;
  }
  ONCEPAY_CHECK(!entry.decode_notice || entry.answer_notice);
  for (const auto& route : entry.routes) {
    if (route.pattern.empty() || route.pattern.front() != '/' ||
        first_segment(route.pattern).empty()) {
      *error =
          "channel " + entry.name + ": route \"" + route.pattern + "\" is not an absolute path";
      return false;
    }
    for (const auto& other : entries_) {
      for (const auto& theirs : other.routes) {
        if (first_segment(theirs.pattern) == first_segment(route.pattern)) {
          *error = "channel " + entry.name + ": route \"" + route.pattern + "\" is under " +
                   other.name + "'s /" + std::string(first_segment(theirs.pattern));
          return false;
        }
      }
    }
  }
  entries_.push_back(std::move(entry));
  return true;
}

const ChannelEntry* ChannelRegistry::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::map<std::string, channel_actor, std::less<>> ChannelRegistry::actors() const {
  std::map<std::string, channel_actor, std::less<>> out;
  for (const auto& entry : entries_) out.emplace(entry.name, entry.actor);
  return out;
}

std::vector<ChannelHealth> ChannelRegistry::health() const {
  std::vector<ChannelHealth> out;
  for (const auto& entry : entries_) {
    if (entry.health) out.push_back(entry.health());
  }
  return out;
}

void ChannelRegistry::connect(const http::Handler& handler) const {
  for (const auto& entry : entries_) {
    if (entry.connect) entry.connect(handler);
  }
}

std::string notify_path(std::string_view channel) {
  return std::string("/v1/channels/").append(channel).append("/notify");
}

std::string merchant_notify_url(std::string_view public_url, std::string_view channel,
                                std::string_view merchant_id) {
  return std::string(public_url).append(notify_path(channel)).append("/").append(merchant_id);
}

}  // namespace oncepay::channels
