#include "storage/recon_store.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace oncepay::storage {

namespace {

constexpr char kSep = '\x1f';
constexpr const char* kRuns = "runs";
constexpr const char* kItems = "items";
constexpr const char* kByDate = "by_date";
constexpr const char* kHeld = "held";
constexpr const char* kReviews = "reviews";
constexpr size_t kIdDigits = 12;

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto p : parts) {
    if (!first) out += kSep;
    out += p;
    first = false;
  }
  return out;
}

std::string item_key(const std::string& id, uint64_t seq) {
  std::string key = id;
  key += kSep;
  for (int i = 7; i >= 0; --i) key += static_cast<char>((seq >> (8 * i)) & 0xff);
  return key;
}

uint64_t item_seq(std::string_view key) {
  uint64_t seq = 0;
  if (key.size() < 8) return 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i) {
    seq = (seq << 8) | static_cast<unsigned char>(key[i]);
  }
  return seq;
}

template <class Message>
bool parse(std::string_view bytes, Message* out) {
  return out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

Status unparsable(const char* what) {
  return Status::corruption(std::string("a reconciliation store ") + what + " does not parse");
}

}  // namespace

Status ReconStore::open(const std::string& dir, std::unique_ptr<ReconStore>* out) {
  SnapshotOptions options;
  options.dir = dir;
  options.map_size_bytes = kSnapshotGiB;
  options.tables = {kRuns, kItems, kByDate, kHeld, kReviews};
  std::unique_ptr<SnapshotStore> store;
  Status st = SnapshotStore::open(options, &store);
  if (!st.is_ok()) return st;
  // The last id: runs sort by id, so the last key read is the newest.
  uint64_t last = 0;
  st = store->read_range(kRuns, "", [&](std::string_view key, std::string_view) {
    if (key.size() == 3 + kIdDigits) last = std::stoull(std::string(key.substr(3)));
    return true;
  });
  if (!st.is_ok()) return st;
  out->reset(new ReconStore(std::move(store), last));
  return Status::ok();
}

ReconStore::ReconStore(std::unique_ptr<SnapshotStore> store, uint64_t last_seq)
    : store_(std::move(store)), seq_(last_seq) {}

std::string ReconStore::next_id() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rc_%012llu",
                static_cast<unsigned long long>(seq_.fetch_add(1) + 1));
  return buf;
}

std::string ReconStore::last_id() const {
  const uint64_t last = seq_.load();
  if (last == 0) return {};
  char buf[32];
  std::snprintf(buf, sizeof buf, "rc_%012llu", static_cast<unsigned long long>(last));
  return buf;
}

Status ReconStore::put_run(const v1::ReconciliationView& run) {
  return store_->commit_checkpoint(
      store_->checkpoint_lsn(),
      {{kRuns, run.reconciliation_id(), run.SerializeAsString()},
       {kByDate, join({run.date(), run.merchant_id(), run.channel(), run.reconciliation_id()}),
        std::string()}});
}

Status ReconStore::finish_run(const v1::ReconciliationView& run,
                              const std::vector<v1::ReconItemView>& items,
                              const std::vector<HeldChange>& held) {
  std::vector<Mutation> m;
  m.reserve(items.size() + held.size() + 2);
  m.push_back({kRuns, run.reconciliation_id(), run.SerializeAsString()});
  m.push_back({kByDate,
               join({run.date(), run.merchant_id(), run.channel(), run.reconciliation_id()}),
               std::string()});
  uint64_t seq = 0;
  for (const auto& item : items) {
    m.push_back({kItems, item_key(run.reconciliation_id(), ++seq), item.SerializeAsString()});
  }
  for (const auto& h : held) {
    std::string key = join({run.merchant_id(), run.channel(), h.payment_no});
    if (h.record) {
      m.push_back({kHeld, std::move(key), h.record->SerializeAsString()});
    } else {
      m.push_back({kHeld, std::move(key), std::nullopt});
    }
  }
  return store_->commit_checkpoint(store_->checkpoint_lsn(), m);
}

Status ReconStore::put_review(const v1::ReconReviewRecord& review) {
  return store_->commit_checkpoint(store_->checkpoint_lsn(),
                                   {{kReviews, review.item_id(), review.SerializeAsString()}});
}

Status ReconStore::put_reviews(const std::vector<v1::ReconReviewRecord>& reviews) {
  if (reviews.empty()) return Status::ok();
  std::vector<Mutation> m;
  m.reserve(reviews.size());
  for (const auto& r : reviews) m.push_back({kReviews, r.item_id(), r.SerializeAsString()});
  return store_->commit_checkpoint(store_->checkpoint_lsn(), m);
}

Status ReconStore::held(const std::string& merchant_id, const std::string& channel,
                        std::vector<std::pair<std::string, v1::HeldRecord>>* out) const {
  out->clear();
  const std::string prefix = join({merchant_id, channel, ""});
  Status bad;
  Status st = store_->read_range(kHeld, prefix, [&](std::string_view key, std::string_view value) {
    if (!key.starts_with(prefix)) return false;
    v1::HeldRecord r;
    if (!parse(value, &r)) {
      bad = unparsable("held record");
      return false;
    }
    out->emplace_back(std::string(key.substr(prefix.size())), std::move(r));
    return true;
  });
  return st.is_ok() ? bad : st;
}

Status ReconStore::get_run(const std::string& id, v1::ReconciliationView* out) const {
  std::string bytes;
  Status st = store_->read(kRuns, id, &bytes);
  if (!st.is_ok()) return st;
  return parse(bytes, out) ? Status::ok() : unparsable("run");
}

Status ReconStore::items(const std::string& id, uint64_t after, size_t limit,
                         std::vector<v1::ReconItemView>* out, uint64_t* next) const {
  out->clear();
  *next = 0;
  const std::string prefix = id + kSep;
  Status bad;
  Status st = store_->read_range(kItems, item_key(id, after + 1),
                                 [&](std::string_view key, std::string_view value) {
                                   if (!key.starts_with(prefix) || key.size() != prefix.size() + 8)
                                     return false;
                                   if (out->size() == limit) {
                                     *next = item_seq(key) - 1;
                                     return false;
                                   }
                                   v1::ReconItemView item;
                                   if (!parse(value, &item)) {
                                     bad = unparsable("item");
                                     return false;
                                   }
                                   out->push_back(std::move(item));
                                   return true;
                                 });
  return st.is_ok() ? bad : st;
}

Status ReconStore::runs_of_date(const std::string& date,
                                std::vector<v1::ReconciliationView>* out) const {
  out->clear();
  const std::string prefix = date + kSep;
  std::vector<std::string> ids;
  Status st = store_->read_range(kByDate, prefix, [&](std::string_view key, std::string_view) {
    if (!key.starts_with(prefix)) return false;
    ids.emplace_back(key.substr(key.rfind(kSep) + 1));
    return true;
  });
  if (!st.is_ok()) return st;
  std::sort(ids.begin(), ids.end(), std::greater<>());
  for (const auto& id : ids) {
    v1::ReconciliationView run;
    st = get_run(id, &run);
    if (!st.is_ok()) return st;
    out->push_back(std::move(run));
  }
  return Status::ok();
}

Status ReconStore::latest_done(const std::string& merchant_id, const std::string& channel,
                               const std::string& date, const std::string& except,
                               v1::ReconciliationView* out) const {
  const std::string prefix = join({date, merchant_id, channel, ""});
  std::vector<std::string> ids;
  Status st = store_->read_range(kByDate, prefix, [&](std::string_view key, std::string_view) {
    if (!key.starts_with(prefix)) return false;
    ids.emplace_back(key.substr(prefix.size()));
    return true;
  });
  if (!st.is_ok()) return st;
  std::sort(ids.begin(), ids.end(), std::greater<>());
  for (const auto& id : ids) {
    if (id == except) continue;
    v1::ReconciliationView run;
    st = get_run(id, &run);
    if (!st.is_ok()) return st;
    if (run.status() == "DONE") {
      *out = std::move(run);
      return Status::ok();
    }
  }
  return Status::not_found("no earlier run");
}

Status ReconStore::get_review(const std::string& item_id, v1::ReconReviewRecord* out) const {
  std::string bytes;
  Status st = store_->read(kReviews, item_id, &bytes);
  if (!st.is_ok()) return st;
  return parse(bytes, out) ? Status::ok() : unparsable("review item");
}

Status ReconStore::open_reviews(std::vector<v1::ReconReviewRecord>* out) const {
  out->clear();
  Status bad;
  Status st = store_->read_range(kReviews, "", [&](std::string_view, std::string_view value) {
    v1::ReconReviewRecord r;
    if (!parse(value, &r)) {
      bad = unparsable("review item");
      return false;
    }
    if (!r.closed()) out->push_back(std::move(r));
    return true;
  });
  return st.is_ok() ? bad : st;
}

}  // namespace oncepay::storage
