// The fault simulation: see simulation.hpp and docs/SIMULATION.md.
#include "sim/simulation.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <cerrno>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include "actors/engine.hpp"
#include "actors/message_types.hpp"
#include "channels/sim/channel_model.hpp"
#include "codec/json.hpp"
#include "core/check.hpp"
#include "core/order_decide.hpp"
#include "sim/protocol_channels.hpp"
#include "sim/wal_damage.hpp"
#include "storage/wal_format.hpp"

namespace oncepay::sim {

// Tells a channel actor to answer a hung call now (a promise is delivered
// by its own actor, never from outside).
struct ReleaseMsg {
  uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ReleaseMsg& x) {
  return f(caf::meta::type_name("oncepay.sim.ReleaseMsg"), x.id);
}

}  // namespace oncepay::sim

namespace oncepay::sim {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actors::Engine;
using actors::OrderReply;
using AttemptStatus = v1::Attempt::Status;
using OrderStatus = v1::Order::Status;

const char* const kFaultKinds[] = {"drop",         "duplicate",           "delay",
                                   "misrouted",    "forged_unknown",      "forged_secret",
                                   "wrong_amount", "channel_unavailable", "channel_hang",
                                   "webhook_fail", "fsync_fail",          "crash",
                                   "crash_midway", "torn_tail",           "checkpoint"};

// Channel retry ladder for a notification nobody acknowledged: it never gives
// up (the sim has no reconciliation; the last step repeats).
const int64_t kRedeliverMs[] = {1'000, 5'000, 30'000, 3 * 60'000, 10 * 60'000, 30 * 60'000};
constexpr size_t kTraceKeep = 40;         // trace lines printed per violation
constexpr uint64_t kFullCheckEvery = 50;  // steps between checks of every order
constexpr int64_t kDrainMs = 6 * 3600'000;

struct TestConfig : caf::actor_system_config {
  TestConfig() {
    set("scheduler.policy", caf::atom("testing"));
    actors::add_message_types(*this);
    add_message_type<ReleaseMsg>("oncepay.sim.ReleaseMsg");
  }
};

// Delivery of one channel notification (or a forged one) to the engine.
struct Delivery {
  enum class Kind { kReal, kMisrouted, kForgedUnknown, kForgedSecret, kWrongAmount };
  int64_t due_ms = 0;
  uint64_t seq = 0;  // tie-break: the order it was queued in
  std::string via;   // the channel name it is delivered through
  v1::ChannelNotification body;
  NoticeFacts facts;  // what the channel held when it queued it
  Kind kind = Kind::kReal;
  size_t attempt = 0;  // deliveries made so far
};

const char* kind_name(Delivery::Kind k) {
  switch (k) {
    case Delivery::Kind::kReal:
      return "real";
    case Delivery::Kind::kMisrouted:
      return "misrouted";
    case Delivery::Kind::kForgedUnknown:
      return "forged(unknown payment)";
    case Delivery::Kind::kForgedSecret:
      return "forged(with the channel secret)";
    case Delivery::Kind::kWrongAmount:
      return "wrong-amount";
  }
  return "?";
}

// A channel call the simulated channel took and does not answer (yet).
struct Hung {
  uint64_t id = 0;
  int64_t due_ms = 0;  // when the late answer goes out (past the caller's timeout)
  std::string channel;
  caf::typed_response_promise<core::ChannelReply> promise;
  core::ChannelReply reply;
};

struct Merchant {
  std::string id;
  core::Policy policy;
};

struct SimOrder {
  size_t merchant = 0;
  std::string no;
  std::string channel;
  int64_t amount = 0;
  uint64_t refunds_asked = 0;
  // What 2xx replies told the client (invariant 4).
  bool created_acked = false;
  std::set<std::string> acked_attempts;
  std::map<std::string, int64_t> acked_refunds;
  bool close_acked = false;
  std::set<std::string> acked_success;  // real SUCCESS notices acknowledged
  // The last state read while storage was healthy (invariant 5).
  std::optional<OrderStatus> status;
  std::map<std::string, AttemptStatus> attempts;
  bool paid_seen = false;
  int64_t refunded_seen = 0;
  std::set<std::string> paid_webhooks;  // payment_nos of order.paid webhooks
  std::set<std::string> forged;         // payment_nos a forged success was sent for
  std::set<std::string> wrong_amount;   // payment_nos a wrong-amount success was sent for
};

std::string hex4(uint64_t n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04llx", static_cast<unsigned long long>(n & 0xffff));
  return buf;
}

bool open_status(AttemptStatus s) { return s == v1::Attempt::PAYING || s == v1::Attempt::UNKNOWN; }

// States only move forward (docs/API.md "Order and attempt states").
bool attempt_step_allowed(AttemptStatus from, AttemptStatus to) {
  using A = v1::Attempt;
  if (from == to) return true;
  if (open_status(from)) return true;  // PAYING <-> UNKNOWN and every way out
  switch (from) {
    case A::FAILED:
      return to == A::SUCCESS || to == A::CLOSED || to == A::EXPIRED || to == A::AUTO_REFUNDING ||
             to == A::AUTO_REFUNDED;
    case A::CLOSED:
    case A::EXPIRED:
      return to == A::AUTO_REFUNDING || to == A::AUTO_REFUNDED;
    case A::AUTO_REFUNDING:
      return to == A::AUTO_REFUNDED;
    default:
      return false;  // SUCCESS and AUTO_REFUNDED are final
  }
}

bool order_step_allowed(OrderStatus from, OrderStatus to) {
  using O = v1::Order;
  if (from == to) return true;
  switch (from) {
    case O::PAYING:  // views may skip steps: PAID and then refunds count too
      return to == O::PAID || to == O::PARTIALLY_REFUNDED || to == O::REFUNDED || to == O::CLOSED ||
             to == O::EXPIRED;
    case O::PAID:
      return to == O::PARTIALLY_REFUNDED || to == O::REFUNDED;
    case O::PARTIALLY_REFUNDED:
      return to == O::REFUNDED;
    default:
      return false;
  }
}

using sim_channel_actor = actors::channel_actor::extend<caf::reacts_to<ReleaseMsg>>;
using actor_pointer = sim_channel_actor::pointer;

class Simulation {
 public:
  explicit Simulation(const SimOptions& options);
  ~Simulation();
  SimResult run();

  // Called by the channel actors and the webhook receiver.
  void release(uint64_t id);
  caf::result<core::ChannelReply> on_channel_call(actor_pointer self, const std::string& channel,
                                                  const core::ChannelCall& call);
  core::ChannelReply on_webhook(const actors::WebhookPost& post);

 private:
  // ------------------------------------------------------------ plumbing
  bool fault(const char* kind, double p) {
    if (draining_ || !options_.faults.count(kind)) return false;
    if (!chance(p)) return false;
    ++result_.faults;
    return true;
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  // Whether the engine's review list has an open item of `reason` for
  // payment_no (every page).
  bool on_review(const std::string& reason, const std::string& payment_no) const {
    actors::ReviewIndex::Page page;
    std::string cursor;
    do {
      if (!engine_->reviews().list(cursor, actors::kMaxReviewPage, reason, &page)) return false;
      for (const auto& e : page.items) {
        if (e.item.payment_no == payment_no) return true;
      }
      cursor = page.next;
    } while (!cursor.empty());
    return false;
  }
  uint64_t pick(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(random_);
  }
  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               sched_->clock().now().time_since_epoch())
        .count();
  }
  int64_t model_ms() const { return kWallBaseMs + now_ms(); }
  void run_jobs() { sched_->run(); }
  void trace(int order, std::string line, std::string payment_no = "");
  void violation(int order, std::string what);

  // ------------------------------------------------------------ engine
  actors::EngineOptions engine_options();
  bool open_engine();
  void crash_and_restart(const char* why, size_t partial_jobs);
  int on_fdatasync(int fd);
  void note_synced_sizes();

  // ------------------------------------------------------------ actions
  void step();
  void merchant_pay(size_t o);
  void merchant_close(size_t o);
  void merchant_refund(size_t o);
  void payer_pays();
  void payer_fails();
  void inject_forged();
  void checkpoint();
  void advance(int64_t ms);
  void deliver_due();
  void deliver(Delivery d);
  void release_hung();
  void take_outbox(const std::string& channel);
  // One engine call through the channel's protocol (engine side, channel
  // side, engine side); *wire (may be null) gets the requests' summary.
  core::ChannelReply exchange(const std::string& channel, const core::ChannelCall& call,
                              std::string* wire);
  void enqueue(Delivery d);
  size_t new_or_existing_order();
  int order_of_payment(const std::string& payment_no) const;
  // An order as traces and order_of_payment name it (an int, -1 for none):
  // only a known order may be looked up.
  SimOrder& order_at(int o) {
    ONCEPAY_CHECK(o >= 0 && static_cast<size_t>(o) < orders_.size());
    return orders_[static_cast<size_t>(o)];
  }

  // ------------------------------------------------------------ checks
  void check(const std::vector<size_t>& orders, bool final);
  void check_view(size_t o, const OrderReply& reply, bool final);
  void note_view(size_t o, const v1::OrderView& view);
  void drain();

  static constexpr int64_t kWallBaseMs = 1'800'000'000'000;

  SimOptions options_;
  std::mt19937_64 random_;
  SimResult result_;
  std::string dir_;
  bool own_dir_ = false;
  TestConfig config_;
  std::unique_ptr<caf::actor_system> system_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::map<std::string, std::unique_ptr<channels::ChannelModel>> models_;
  std::map<std::string, sim_channel_actor> channel_actors_;
  // What each channel speaks: wallet WeChat Pay v3, bank Alipay.
  std::map<std::string, std::unique_ptr<ProtocolChannel>> protocols_;
  uint64_t next_hung_ = 0;
  actors::webhook_actor webhook_sink_;
  std::unique_ptr<Engine> engine_;
  uint64_t incarnation_ = 0;
  bool crashing_ = false;
  bool draining_ = false;
  bool stopped_ = false;                    // a violation stopped the run
  std::map<std::string, uint64_t> synced_;  // WAL file -> bytes fdatasync covered
  std::vector<Merchant> merchants_;
  std::vector<SimOrder> orders_;
  std::map<std::string, size_t> order_by_key_;  // merchant 0x1F order_no
  std::map<std::string, size_t> order_by_payment_;
  std::vector<std::string> payments_;  // every payment_no a channel saw, in order
  std::vector<Delivery> deliveries_;
  // Deliveries the engine has not answered yet, by token: a crash takes
  // their answers with it, and the channel (which got none) sends again.
  std::map<uint64_t, Delivery> unanswered_;
  uint64_t next_delivery_token_ = 0;
  uint64_t next_seq_ = 0;
  std::vector<Hung> hung_;
  std::set<size_t> touched_;
  struct TraceLine {
    int order = -1;          // -1: the engine, or an order not known yet
    std::string payment_no;  // resolves the order when printed
    std::string line;
  };
  std::vector<TraceLine> trace_;
  uint64_t step_no_ = 0;
  uint64_t forged_counter_ = 0;
  int unhealthy_steps_ = 0;
};

// ---------------------------------------------------------------- actors

sim_channel_actor::behavior_type channel_impl(actor_pointer self, Simulation* sim,
                                              std::string name) {
  return {
      [self, sim, name](core::ChannelCall& call) -> caf::result<core::ChannelReply> {
        return sim->on_channel_call(self, name, call);
      },
      [sim](ReleaseMsg& msg) { sim->release(msg.id); },
  };
}

actors::webhook_actor::behavior_type webhook_impl(actors::webhook_actor::pointer, Simulation* sim) {
  return {
      [sim](actors::WebhookPost& post) -> core::ChannelReply { return sim->on_webhook(post); },
      [](actors::WebhookDoneMsg&) {},
  };
}

// ---------------------------------------------------------------- setup

Simulation::Simulation(const SimOptions& options) : options_(options), random_(options.seed) {
  result_.seed = options.seed;
  if (options_.data_dir.empty()) {
    char pattern[] = "/tmp/oncepay-simulate-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) dir_ = pattern;
    own_dir_ = true;
  } else {
    dir_ = options_.data_dir;
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_, ec);
  }
  system_ = std::make_unique<caf::actor_system>(config_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(system_->scheduler());
  for (const char* name : {"wallet", "bank"}) {
    models_.emplace(name, std::make_unique<channels::ChannelModel>(
                              name, options.seed * 2 + (name[0] == 'w' ? 1 : 2)));
    channel_actors_.emplace(name, system_->spawn(channel_impl, this, std::string(name)));
  }
  protocols_.emplace("wallet", make_wechatpay_channel());
  protocols_.emplace("bank", make_alipay_channel());
  webhook_sink_ = system_->spawn(webhook_impl, this);
  merchants_ = {{"m1", core::Policy::kStrict},
                {"m2", core::Policy::kStrict},
                {"m3", core::Policy::kRefundDuplicates}};
}

Simulation::~Simulation() {
  hung_.clear();
  engine_.reset();
  for (auto& [name, a] : channel_actors_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(webhook_sink_, caf::exit_reason::user_shutdown);
  run_jobs();
  channel_actors_.clear();
  webhook_sink_ = nullptr;
  // An engine destroyed in the middle of a request (crash after a few jobs)
  // can leave an order actor that never terminates (it awaits an answer that
  // died with the engine; docs/SIMULATION.md). The actor system's destructor
  // would wait for it forever: leave the system to the process exit then.
  if (system_->registry().running() > 0) {
    (void)system_.release();
  } else {
    system_.reset();
  }
  if (own_dir_ && !dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

actors::EngineOptions Simulation::engine_options() {
  actors::EngineOptions o;
  o.shards = 4;
  o.routers = 2;
  for (auto& [name, a] : channel_actors_) o.channels.emplace(name, a);
  o.channel_timeout = 5s;
  o.request_timeout = 30s;
  o.payment.in_flight_window_ms = 10'000;
  o.payment.max_attempts = 3;
  o.payment.query_ladder_ms = {60'000, 120'000, 300'000, 600'000, 1'800'000};
  o.payment.fast_expiry_ladder_ms = {10'000, 30'000, 120'000};
  o.payment.auto_refund_retry_ms = {10'000, 30'000, 120'000, 600'000, 1'800'000};
  o.payment.notify_retry_ladder_ms = {15'000, 30'000, 60'000, 300'000, 900'000};
  // A forger holding the channel's secret is only stopped by confirming
  // every notified success with a query: runs that inject one turn it on.
  o.payment.confirm_notified_success = options_.faults.count("forged_secret") != 0;
  o.data_dir = dir_;
  o.checkpoint_on_shutdown = false;  // destroying the engine is a crash
  o.wal_segment_bytes = 64 * 1024;   // segments roll and get removed
  o.wal_fdatasync_hook = [this](int fd) { return on_fdatasync(fd); };
  o.deterministic.enabled = true;
  o.deterministic.wall_base_ms = kWallBaseMs;
  o.deterministic.boot_nonce = hex4(incarnation_);
  o.deterministic.webhooks = webhook_sink_;
  return o;
}

int Simulation::on_fdatasync(int fd) {
  if (crashing_ || fault("fsync_fail", 0.002)) {
    if (!crashing_) trace(-1, "fault: fdatasync fails (EIO)");
    errno = EIO;
    return -1;
  }
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  std::error_code ec;
  const std::string path = fs::read_symlink(link, ec).string();
  struct stat st {};
  if (!ec && ::fstat(fd, &st) == 0) synced_[path] = static_cast<uint64_t>(st.st_size);
  return 0;
}

void Simulation::note_synced_sizes() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/wal", ec)) {
    synced_[entry.path().string()] = entry.file_size(ec);
  }
}

bool Simulation::open_engine() {
  ++incarnation_;
  engine_ = std::make_unique<Engine>(*system_, engine_options());
  for (size_t i = 0; i < merchants_.size(); ++i) {
    engine_->merchants().add(merchants_[i].id, "sk_" + merchants_[i].id,
                             "whsec_" + merchants_[i].id, merchants_[i].policy);
  }
  std::optional<std::string> error;
  engine_->start([&](bool ok, std::string why) { error = ok ? "" : why; });
  run_jobs();
  if (!error || !error->empty()) {
    violation(-1, "recovery failed: " + error.value_or("start() did not finish"));
    return false;
  }
  note_synced_sizes();
  return true;
}

void Simulation::crash_and_restart(const char* why, size_t partial_jobs) {
  ++result_.crashes;
  if (partial_jobs > 0) sched_->run(partial_jobs);
  trace(-1, std::string("crash (") + why + ")" +
                (partial_jobs > 0 ? " after " + std::to_string(partial_jobs) + " jobs" : ""));
  hung_.clear();     // their callers die with the engine
  crashing_ = true;  // appends still queued are written but never synced
  engine_.reset();
  run_jobs();
  crashing_ = false;
  // Notifications whose answer died with the engine: the channel got none,
  // so it delivers them again (its retry ladder).
  for (auto& [token, d] : unanswered_) {
    if (d.kind != Delivery::Kind::kReal) continue;
    const size_t i = std::min(d.attempt, std::size(kRedeliverMs)) - 1;
    d.due_ms = now_ms() + kRedeliverMs[i];
    enqueue(std::move(d));
  }
  unanswered_.clear();
  if (options_.faults.count("torn_tail") && !draining_) {
    const std::string last = last_segment(dir_ + "/wal");
    auto it = synced_.find(last);
    WalDamage damage;
    storage::Status st =
        damage_wal_tail(dir_ + "/wal", it == synced_.end() ? 0 : it->second, random_, &damage);
    if (!st.is_ok()) violation(-1, "could not damage the WAL: " + st.to_string());
    if (damage.cut_at != damage.size_before || damage.flipped_bytes || damage.appended_bytes) {
      ++result_.faults;
      trace(-1, "torn tail: " + describe(damage));
    }
  }
  synced_.clear();
  unhealthy_steps_ = 0;
  if (!open_engine()) return;
  std::string summary = engine_->recovery_summary();
  for (size_t at; (at = summary.find(dir_)) != std::string::npos;)
    summary.replace(at, dir_.size(), "<dir>");
  trace(-1, "recovered: " + summary);
  std::vector<size_t> all(orders_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  check(all, false);
}

// ---------------------------------------------------------------- trace

void Simulation::trace(int order, std::string line, std::string payment_no) {
  char head[48];
  std::snprintf(head, sizeof head, "#%llu t=%lld.%03llds ",
                static_cast<unsigned long long>(step_no_), static_cast<long long>(now_ms() / 1000),
                static_cast<long long>(now_ms() % 1000));
  trace_.push_back(TraceLine{order, std::move(payment_no), head + line});
  if (options_.keep_trace) result_.trace.push_back(trace_.back().line);
  if (::getenv("ONCEPAY_SIM_TRACE")) std::fprintf(stderr, "%s\n", trace_.back().line.c_str());
}

void Simulation::violation(int order, std::string what) {
  ++result_.violations;
  if (!options_.keep_going) stopped_ = true;
  std::string who = order < 0 ? std::string("engine")
                              : merchants_[order_at(order).merchant].id + "/" + order_at(order).no;
  result_.report.push_back("VIOLATION seed=" + std::to_string(options_.seed) +
                           " step=" + std::to_string(step_no_) + " order=" + who + ": " + what);
  std::vector<std::string> lines;
  for (auto it = trace_.rbegin(); it != trace_.rend() && lines.size() < kTraceKeep; ++it) {
    const int line_order =
        it->order >= 0 || it->payment_no.empty() ? it->order : order_of_payment(it->payment_no);
    if (line_order == order || (line_order == -1 && it->payment_no.empty()))
      lines.push_back(it->line);
  }
  result_.report.push_back("  trace (last " + std::to_string(lines.size()) +
                           " steps of this order and of the engine):");
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) result_.report.push_back("    " + *it);
}

// ---------------------------------------------------------------- channels

int Simulation::order_of_payment(const std::string& payment_no) const {
  auto it = order_by_payment_.find(payment_no);
  return it == order_by_payment_.end() ? -1 : static_cast<int>(it->second);
}

caf::result<core::ChannelReply> Simulation::on_channel_call(actor_pointer self,
                                                            const std::string& channel,
                                                            const core::ChannelCall& call) {
  const int o = order_of_payment(call.payment_no);
  if (o >= 0) touched_.insert(static_cast<size_t>(o));
  ProtocolChannel& protocol = *protocols_.at(channel);
  const std::string what = std::string(core::to_string(call.op)) + " " + call.payment_no;
  const std::string head = "channel " + channel + " (" + std::string(protocol.protocol()) + "): ";
  if (fault("channel_unavailable", 0.05)) {
    if (chance(0.5)) {  // the call never reached the channel
      trace(o, head + what + " -> unavailable (not applied)", call.payment_no);
      return core::ChannelReply{};
    }
    (void)exchange(channel, call, nullptr);
    take_outbox(channel);
    trace(o, head + what + " -> applied, answer lost", call.payment_no);
    return core::ChannelReply{};
  }
  if (call.op == core::ChannelOp::kPrepay &&
      std::find(payments_.begin(), payments_.end(), call.payment_no) == payments_.end()) {
    payments_.push_back(call.payment_no);
  }
  std::string wire;
  core::ChannelReply reply = exchange(channel, call, &wire);
  take_outbox(channel);
  if (fault("channel_hang", 0.03)) {
    auto promise = self->make_response_promise<core::ChannelReply>();
    const int64_t late_ms = 5'000 + static_cast<int64_t>(pick(1, 20'000));
    hung_.push_back(Hung{++next_hung_, now_ms() + late_ms, channel, promise, reply});
    trace(o, head + what + wire + " -> applied, hangs " + std::to_string(late_ms) + " ms",
          call.payment_no);
    return promise;
  }
  trace(o,
        head + what + wire + " -> " + std::string(core::to_string(reply.outcome)) +
            (call.op == core::ChannelOp::kQuery ? " " + std::string(core::to_string(reply.state))
                                                : std::string()),
        call.payment_no);
  return reply;
}

core::ChannelReply Simulation::exchange(const std::string& channel, const core::ChannelCall& call,
                                        std::string* wire) {
  ProtocolChannel& protocol = *protocols_.at(channel);
  channels::ChannelModel& model = *models_.at(channel);
  const int64_t now = model_ms();
  ++result_.protocol_calls[std::string(protocol.protocol())];
  return protocol.call(call, now, [&](const WireRequest& request) {
    WireAnswer answer = protocol.serve(model, request, now);
    if (wire) {
      *wire += " [" + request.label + " -> " + std::to_string(answer.status) + "]";
    }
    return answer;
  });
}

void Simulation::take_outbox(const std::string& channel) {
  for (auto& n : models_.at(channel)->take_outbox()) {
    if (!protocols_.at(channel)->sends(n.body.status())) {
      trace(order_of_payment(n.body.payment_no()),
            "channel " + channel + " sends no " +
                v1::ChannelNotification::Status_Name(n.body.status()) + " notification (" +
                std::string(protocols_.at(channel)->protocol()) + ")",
            n.body.payment_no());
      continue;
    }
    Delivery d;
    d.via = channel;
    d.body = std::move(n.body);
    if (auto record = models_.at(channel)->get(d.body.payment_no())) {
      d.facts.payment_amount_minor = record->amount_minor;
      d.facts.refunded_minor = record->refunded_minor;
    }
    d.due_ms = now_ms() + static_cast<int64_t>(pick(0, 200));
    if (fault("delay", 0.3)) d.due_ms += static_cast<int64_t>(pick(1'000, 90'000));
    if (fault("drop", 0.15)) {
      d.attempt = pick(1, 3);  // its first deliveries were lost
      d.due_ms += kRedeliverMs[d.attempt - 1];
    }
    const int o = order_of_payment(d.body.payment_no());
    trace(o, "channel " + channel + " queues " +
                 v1::ChannelNotification::Status_Name(d.body.status()) + " for " +
                 d.body.payment_no() + " due t=" + std::to_string(d.due_ms / 1000) + "s");
    if (fault("duplicate", 0.1)) {
      Delivery copy = d;
      copy.due_ms = now_ms() + static_cast<int64_t>(pick(0, 30'000));
      enqueue(std::move(copy));
    }
    if (fault("misrouted", 0.05)) {
      Delivery copy = d;
      copy.kind = Delivery::Kind::kMisrouted;
      copy.via = channel == "wallet" ? "bank" : "wallet";
      copy.due_ms = now_ms() + static_cast<int64_t>(pick(0, 5'000));
      enqueue(std::move(copy));
    }
    enqueue(std::move(d));
  }
}

void Simulation::enqueue(Delivery d) {
  d.seq = next_seq_++;
  deliveries_.push_back(std::move(d));
}

void Simulation::deliver_due() {
  std::vector<Delivery> due;
  const int64_t now = now_ms();
  for (auto it = deliveries_.begin(); it != deliveries_.end();) {
    if (it->due_ms <= now) {
      due.push_back(std::move(*it));
      it = deliveries_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(due.begin(), due.end(), [](const Delivery& a, const Delivery& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.seq < b.seq;
  });
  // Deliveries due together may cross in flight.
  if (due.size() > 1 && options_.faults.count("delay") && !draining_) {
    std::shuffle(due.begin(), due.end(), random_);
  }
  for (auto& d : due) deliver(std::move(d));
  run_jobs();
}

void Simulation::deliver(Delivery d) {
  const int o = order_of_payment(d.body.payment_no());
  if (o >= 0) touched_.insert(static_cast<size_t>(o));
  // The channel signs (WeChat: and encrypts) it afresh for every delivery;
  // the engine's side verifies and decodes it with the protocol part.
  ProtocolChannel& protocol = *protocols_.at(d.via);
  const Signer signer =
      d.kind == Delivery::Kind::kForgedSecret ? Signer::kForger : Signer::kChannel;
  auto wire = protocol.encode_notification(d.body, d.facts, signer, model_ms());
  if (!wire) return;
  ++result_.protocol_notifications[std::string(protocol.protocol())];
  std::optional<core::ChannelNotice> decoded;
  std::string refusal;
  if (!protocol.decode_notification(*wire, model_ms(), &decoded, &refusal)) {
    ++result_.refused_notifications;
    trace(o,
          std::string(kind_name(d.kind)) + " " +
              v1::ChannelNotification::Status_Name(d.body.status()) + " " + d.body.payment_no() +
              " via " + d.via + ": refused by the " + std::string(protocol.protocol()) +
              " decoder (" + refusal + ")",
          d.body.payment_no());
    if (d.kind != Delivery::Kind::kForgedSecret) {
      violation(o, "the " + std::string(protocol.protocol()) +
                       " decoder refused a correctly signed notification: " + refusal);
    }
    return;
  }
  if (d.kind == Delivery::Kind::kForgedSecret) {
    violation(o, "a notification signed with a wrong key passed the " +
                     std::string(protocol.protocol()) + " decoder");
    return;
  }
  if (!decoded) {
    trace(o, "notification " + d.body.notify_id() + " via " + d.via + ": nothing for the core",
          d.body.payment_no());
    return;
  }
  core::ChannelNotice notice = std::move(*decoded);
  notice.channel = d.via;
  // What the channel has at the time of delivery: a real SUCCESS reached the
  // engine after the channel recorded it.
  const bool real_success =
      d.kind == Delivery::Kind::kReal && notice.kind == core::ChannelNotice::Kind::kSuccess;
  const std::string desc =
      std::string(kind_name(d.kind)) + " " + v1::ChannelNotification::Status_Name(d.body.status()) +
      " " + d.body.payment_no() + " amount " + std::to_string(d.body.amount()) + " via " + d.via;
  trace(o, "deliver " + desc, d.body.payment_no());
  ++d.attempt;
  const uint64_t token = ++next_delivery_token_;
  unanswered_.emplace(token, d);
  engine_->notify(d.via, notice, [this, d, o, real_success, desc, token](OrderReply r) mutable {
    if (unanswered_.erase(token) == 0) return;  // a crash already gave it back to the channel
    const bool acked = core::is_success(r.code);
    trace(o, "notify " + desc + " -> " + std::string(core::to_string(r.code)), d.body.payment_no());
    if (d.kind == Delivery::Kind::kForgedUnknown && r.code != core::Code::kPaymentNotFound &&
        r.code != core::Code::kStorageUnavailable && r.code != core::Code::kNotReady) {
      violation(o, "a notification for a payment_no never created was answered " +
                       std::string(core::to_string(r.code)) + " instead of payment_not_found");
    }
    if (acked && real_success && o >= 0) order_at(o).acked_success.insert(d.body.payment_no());
    if (acked || d.kind != Delivery::Kind::kReal) return;
    // Unacknowledged: the channel delivers it again later.
    const size_t i = std::min(d.attempt, std::size(kRedeliverMs)) - 1;
    d.due_ms = now_ms() + kRedeliverMs[i];
    enqueue(std::move(d));
  });
}

void Simulation::release_hung() {
  const int64_t now = now_ms();
  for (const auto& h : hung_) {
    if (h.due_ms <= now) caf::anon_send(channel_actors_.at(h.channel), ReleaseMsg{h.id});
  }
  run_jobs();
}

void Simulation::release(uint64_t id) {
  for (auto it = hung_.begin(); it != hung_.end(); ++it) {
    if (it->id != id) continue;
    auto promise = std::move(it->promise);
    auto reply = std::move(it->reply);
    hung_.erase(it);
    promise.deliver(reply);  // too late: the caller gave up at its timeout
    return;
  }
}

core::ChannelReply Simulation::on_webhook(const actors::WebhookPost& post) {
  v1::WebhookEvent event;
  std::string error;
  core::ChannelReply reply;
  if (!codec::parse_json(post.body, &event, &error)) {
    violation(-1, "webhook body is not a WebhookEvent: " + error);
    return reply;
  }
  int o = -1;
  for (size_t i = 0; i < orders_.size(); ++i) {
    if (orders_[i].no == event.data().merchant_order_no() &&
        post.secret == "whsec_" + merchants_[orders_[i].merchant].id) {
      o = static_cast<int>(i);
    }
  }
  if (fault("webhook_fail", 0.2)) {
    trace(o, "webhook " + event.type() + " answered 500");
    reply.outcome = core::ChannelOutcome::kUnavailable;
    reply.http_status = 500;
    return reply;
  }
  if (o >= 0) {
    touched_.insert(static_cast<size_t>(o));
    if (event.type() == core::kOrderPaidEvent) {
      order_at(o).paid_webhooks.insert(event.data().paid_payment_no());
    }
  }
  trace(o, "webhook " + event.type() + " " + event.event_id() + " delivered");
  reply.outcome = core::ChannelOutcome::kOk;
  reply.http_status = 200;
  return reply;
}

// ---------------------------------------------------------------- actions

size_t Simulation::new_or_existing_order() {
  const size_t max_orders = std::max<uint64_t>(8, options_.steps / 6);
  if (orders_.empty() || (orders_.size() < max_orders && chance(0.3))) {
    SimOrder order;
    order.merchant = pick(0, merchants_.size() - 1);
    order.no = "o" + std::to_string(orders_.size() + 1);
    order.channel = chance(0.7) ? "wallet" : "bank";
    order.amount = static_cast<int64_t>(pick(1, 500)) * 100 + static_cast<int64_t>(pick(0, 99));
    orders_.push_back(order);
    result_.orders = orders_.size();
    return orders_.size() - 1;
  }
  // Recent orders are busier.
  const size_t n = orders_.size();
  return chance(0.6) ? n - 1 - pick(0, std::min<size_t>(n - 1, 5)) : pick(0, n - 1);
}

void Simulation::merchant_pay(size_t o) {
  SimOrder& order = orders_[o];
  actors::PayMsg m;
  m.command.merchant_id = merchants_[order.merchant].id;
  m.command.merchant_order_no = order.no;
  m.command.amount_minor = order.amount;
  m.command.currency = "CNY";
  m.command.channel = order.channel;
  m.command.subject = "sim";
  m.command.notify_url = "http://merchant.invalid/hook";
  m.policy = merchants_[order.merchant].policy;
  touched_.insert(o);
  trace(static_cast<int>(o),
        "merchant pays " + std::to_string(order.amount) + " via " + order.channel);
  engine_->pay(std::move(m), [this, o](OrderReply r) {
    std::string detail;
    if (r.order.has_attempt()) detail = " " + r.order.attempt().payment_no();
    trace(static_cast<int>(o), "pay -> " + std::string(core::to_string(r.code)) + detail);
    if (!core::is_success(r.code)) return;
    SimOrder& acked = orders_[o];
    acked.created_acked = true;
    if (r.order.has_attempt()) {
      acked.acked_attempts.insert(r.order.attempt().payment_no());
      order_by_payment_[r.order.attempt().payment_no()] = o;
    }
  });
}

void Simulation::merchant_close(size_t o) {
  const SimOrder& order = orders_[o];
  touched_.insert(o);
  trace(static_cast<int>(o), "merchant closes");
  actors::CloseMsg m{{merchants_[order.merchant].id, order.no}, merchants_[order.merchant].policy};
  engine_->close(std::move(m), [this, o](OrderReply r) {
    trace(static_cast<int>(o), "close -> " + std::string(core::to_string(r.code)));
    if (core::is_success(r.code) && r.order.status() == v1::Order::CLOSED) {
      orders_[o].close_acked = true;
    }
  });
}

void Simulation::merchant_refund(size_t o) {
  SimOrder& order = orders_[o];
  touched_.insert(o);
  actors::RefundMsg m;
  m.key = {merchants_[order.merchant].id, order.no};
  m.policy = merchants_[order.merchant].policy;
  // Sometimes the same refund_no again (idempotent), sometimes too much.
  if (order.refunds_asked > 0 && chance(0.3)) {
    m.command.refund_no = "r" + std::to_string(pick(1, order.refunds_asked));
    auto it = order.acked_refunds.find(m.command.refund_no);
    m.command.amount_minor = it != order.acked_refunds.end() ? it->second : 1;
  } else {
    m.command.refund_no = "r" + std::to_string(++order.refunds_asked);
    m.command.amount_minor = static_cast<int64_t>(pick(1, static_cast<uint64_t>(order.amount)));
  }
  m.command.reason = "sim";
  const std::string refund_no = m.command.refund_no;
  const int64_t amount = m.command.amount_minor;
  trace(static_cast<int>(o), "merchant refunds " + refund_no + " " + std::to_string(amount));
  engine_->refund(std::move(m), [this, o, refund_no, amount](OrderReply r) {
    trace(static_cast<int>(o),
          "refund " + refund_no + " -> " + std::string(core::to_string(r.code)));
    if (core::is_success(r.code)) orders_[o].acked_refunds.emplace(refund_no, amount);
  });
}

void Simulation::payer_pays() {
  if (payments_.empty()) return;
  const size_t n = payments_.size();
  const std::string& p = chance(0.7) ? payments_[n - 1 - pick(0, std::min<size_t>(n - 1, 8))]
                                     : payments_[pick(0, n - 1)];
  const int o = order_of_payment(p);
  if (o < 0) return;
  const bool after_close = chance(0.3);
  auto& model = *models_.at(order_at(o).channel);
  auto outcome = model.pay(p, after_close, model_ms());
  trace(o, std::string("payer pays ") + p + (after_close ? " (after_close)" : "") + " -> " +
               std::string(channels::to_string(outcome)));
  take_outbox(order_at(o).channel);
}

void Simulation::payer_fails() {
  if (payments_.empty()) return;
  const std::string& p = payments_[pick(0, payments_.size() - 1)];
  const int o = order_of_payment(p);
  if (o < 0) return;
  auto outcome = models_.at(order_at(o).channel)->fail(p, model_ms());
  trace(o, "payer fails " + p + " -> " + std::string(channels::to_string(outcome)));
  take_outbox(order_at(o).channel);
}

void Simulation::inject_forged() {
  const uint64_t which = pick(0, 2);
  Delivery d;
  d.body.set_notify_id("forged-" + std::to_string(++forged_counter_));
  d.body.set_status(v1::ChannelNotification::SUCCESS);
  d.body.set_channel_trade_no("forged-trade-" + std::to_string(forged_counter_));
  d.due_ms = now_ms();
  if (which == 0) {
    if (!fault("forged_unknown", 1.0)) return;
    d.kind = Delivery::Kind::kForgedUnknown;
    d.via = chance(0.5) ? "wallet" : "bank";
    d.body.set_payment_no("P9999999999999ffff" + std::to_string(10'000'000 + forged_counter_));
    d.body.set_amount(100);
    deliver(std::move(d));
    run_jobs();
    return;
  }
  // A payment the channel has as NOTPAY.
  if (payments_.empty()) return;
  const std::string p = payments_[pick(0, payments_.size() - 1)];
  const int o = order_of_payment(p);
  if (o < 0) return;
  auto record = models_.at(order_at(o).channel)->get(p);
  if (!record || record->state != channels::PayState::kNotPay) return;
  d.via = order_at(o).channel;
  d.body.set_payment_no(p);
  if (which == 1) {
    if (!fault("forged_secret", 1.0)) return;
    d.kind = Delivery::Kind::kForgedSecret;
    d.body.set_amount(order_at(o).amount);
    order_at(o).forged.insert(p);
  } else {
    if (!fault("wrong_amount", 1.0)) return;
    d.kind = Delivery::Kind::kWrongAmount;
    d.body.set_amount(order_at(o).amount +
                      static_cast<int64_t>(pick(1, 100)) * (chance(0.5) ? 1 : -1));
    if (d.body.amount() <= 0) d.body.set_amount(order_at(o).amount + 1);
    order_at(o).wrong_amount.insert(p);
  }
  deliver(std::move(d));
  run_jobs();
}

void Simulation::checkpoint() {
  if (!engine_->storage_healthy()) return;
  std::optional<std::string> error;
  engine_->checkpoint([&](bool ok, std::string why) { error = ok ? "" : why; });
  trace(-1, "checkpoint" + (error && !error->empty() ? " failed: " + *error : std::string()));
  if (error && !error->empty() && engine_->storage_healthy()) {
    violation(-1, "checkpoint failed with healthy storage: " + *error);
  }
  run_jobs();
}

void Simulation::advance(int64_t ms) {
  const int64_t target = now_ms() + ms;
  while (now_ms() < target && !stopped_) {
    int64_t next = std::min(target, now_ms() + (ms <= 30'000 ? 1'000 : 10'000));
    for (const auto& d : deliveries_) next = std::min(next, std::max(d.due_ms, now_ms() + 1));
    for (const auto& h : hung_) next = std::min(next, std::max(h.due_ms, now_ms() + 1));
    sched_->clock().advance_time(std::chrono::milliseconds(next - now_ms()));
    run_jobs();
    deliver_due();
    release_hung();
  }
}

void Simulation::step() {
  ++step_no_;
  touched_.clear();
  // A refused engine is restarted (storage failures are sticky).
  if (!engine_->storage_healthy() && ++unhealthy_steps_ > static_cast<int>(pick(0, 3))) {
    crash_and_restart("storage failed", 0);
    if (stopped_) return;
  }
  const uint64_t r = pick(0, 999);
  if (r < 300) {
    merchant_pay(new_or_existing_order());
  } else if (r < 360) {
    merchant_close(new_or_existing_order());
  } else if (r < 420) {
    merchant_refund(new_or_existing_order());
  } else if (r < 580) {
    payer_pays();
  } else if (r < 610) {
    payer_fails();
  } else if (r < 650) {
    inject_forged();
  } else if (r < 670) {
    if (fault("checkpoint", 0.5)) checkpoint();
  } else if (r < 680 && options_.faults.count("crash")) {
    // Sometimes in the middle of a request: only part of its work ran.
    size_t partial = 0;
    if (chance(0.5) && options_.faults.count("crash_midway")) {
      merchant_pay(new_or_existing_order());
      partial = pick(1, 25);
    }
    crash_and_restart("kill -9", partial);
  } else if (r < 820) {
    advance(static_cast<int64_t>(pick(100, 3'000)));
  } else if (r < 900) {
    advance(static_cast<int64_t>(pick(8'000, 15'000)));  // across the in-flight window
  } else {
    advance(static_cast<int64_t>(pick(30'000, 600'000)));  // ladder steps
  }
  if (stopped_) return;
  run_jobs();
  deliver_due();
  std::vector<size_t> which(touched_.begin(), touched_.end());
  if (step_no_ % kFullCheckEvery == 0) {
    which.resize(orders_.size());
    for (size_t i = 0; i < which.size(); ++i) which[i] = i;
  }
  check(which, false);
}

// ---------------------------------------------------------------- checks

void Simulation::check(const std::vector<size_t>& which, bool final) {
  if (!engine_ || !engine_->ready()) return;
  // Replies held up by a hung channel call arrive later and are ignored: the
  // order is checked again next time.
  auto replies = std::make_shared<std::map<size_t, OrderReply>>();
  for (size_t o : which) {
    const SimOrder& order = orders_[o];
    engine_->get_order(actors::GetOrderMsg{{merchants_[order.merchant].id, order.no}},
                       [replies, o](OrderReply r) { (*replies)[o] = std::move(r); });
  }
  run_jobs();
  const auto ready = std::move(*replies);
  replies->clear();
  for (auto& [o, reply] : ready) {
    if (stopped_) return;
    check_view(o, reply, final);
  }
}

void Simulation::check_view(size_t o, const OrderReply& r, bool final) {
  SimOrder& order = orders_[o];
  const int io = static_cast<int>(o);
  ++result_.invariant_checks;
  // 4. Nothing acknowledged is lost.
  if (r.code == core::Code::kOrderNotFound) {
    if (order.created_acked) violation(io, "order creation was acknowledged, the order is gone");
    return;
  }
  if (!core::is_success(r.code)) return;  // storage unreadable etc.: the engine refuses honestly
  const v1::OrderView& v = r.order;
  std::map<std::string, const v1::AttemptView*> attempts;
  for (const auto& a : v.attempts()) attempts[a.payment_no()] = &a;
  for (const auto& p : order.acked_attempts) {
    if (!attempts.count(p)) violation(io, "acknowledged attempt " + p + " is gone");
  }
  std::map<std::string, const v1::RefundView*> refunds;
  for (const auto& f : v.refunds()) refunds[f.refund_no()] = &f;
  for (const auto& [no, amount] : order.acked_refunds) {
    if (!refunds.count(no)) violation(io, "acknowledged refund " + no + " is gone");
  }
  if (order.close_acked && v.status() != v1::Order::CLOSED) {
    violation(io, "close was acknowledged, the order is " + v1::Order::Status_Name(v.status()));
  }
  // 1. At most one kept success, and it is the paid attempt.
  std::vector<std::string> kept;
  for (const auto& a : v.attempts()) {
    if (a.status() == v1::Attempt::SUCCESS) kept.push_back(a.payment_no());
    order_by_payment_[a.payment_no()] = o;
  }
  if (kept.size() > 1) violation(io, "two kept successes: " + kept[0] + " and " + kept[1]);
  if (kept.size() == 1 && v.paid_payment_no() != kept[0]) {
    violation(io,
              "kept success " + kept[0] + " is not the paid attempt '" + v.paid_payment_no() + "'");
  }
  // A kept success is real at the channel, with the attempt's amount.
  for (const auto& p : kept) {
    auto record = models_.at(attempts[p]->channel())->get(p);
    const bool real = record && (record->state == channels::PayState::kSuccess ||
                                 record->state == channels::PayState::kRefund);
    if (!real) {
      std::string why = order.wrong_amount.count(p) ? "a wrong-amount success was kept"
                        : order.forged.count(p)     ? "a forged success was kept"
                                                    : "a success the channel does not have";
      violation(io, why + " (" + p + ", channel " +
                        (record ? std::string(channels::to_string(record->state)) : "unknown") +
                        ")");
    }
  }
  // 2. Every success at the channel is, once settled, the paid attempt or
  // being refunded automatically.
  for (const auto& p : payments_) {
    if (order_of_payment(p) != io) continue;
    auto record = models_.at(order.channel)->get(p);
    if (!record) continue;
    const bool success = record->state == channels::PayState::kSuccess ||
                         record->state == channels::PayState::kRefund;
    const bool settled = final || order.acked_success.count(p);
    if (!success || !settled) continue;
    auto it = attempts.find(p);
    if (it == attempts.end()) {
      violation(io, "the channel has a success for " + p + ", oncepay has no such attempt");
      continue;
    }
    const auto s = it->second->status();
    const bool accounted = (s == v1::Attempt::SUCCESS && v.paid_payment_no() == p) ||
                           s == v1::Attempt::AUTO_REFUNDING || s == v1::Attempt::AUTO_REFUNDED;
    if (!accounted) {
      violation(io, "settled success " + p + " at the channel is " + v1::Attempt::Status_Name(s) +
                        " at oncepay");
    }
    // An automatic refund whose ladder ran out is left to a person: it
    // must then be on the review list (auto_refund_failed).
    if (final && s == v1::Attempt::AUTO_REFUNDING && !on_review("auto_refund_failed", p)) {
      violation(io, "automatic refund of " + p + " still pending after the drain, not on review");
    }
  }
  // 6. No order.paid webhook for a success that was not kept.
  for (const auto& p : order.paid_webhooks) {
    auto it = attempts.find(p);
    if (it == attempts.end() || it->second->status() != v1::Attempt::SUCCESS) {
      violation(io, "order.paid webhook for " + p + ", which is not a kept success");
    }
  }
  // 3. Money: after the drain, oncepay's net equals the channel's.
  if (final) {
    int64_t channel_net = 0;
    for (const auto& p : payments_) {
      if (order_of_payment(p) != io) continue;
      auto record = models_.at(order.channel)->get(p);
      if (record && (record->state == channels::PayState::kSuccess ||
                     record->state == channels::PayState::kRefund)) {
        channel_net += record->amount_minor - record->refunded_minor;
        // What the review list holds a person to refund is accounted for.
        auto it = attempts.find(p);
        if (it != attempts.end() && it->second->status() == v1::Attempt::AUTO_REFUNDING &&
            on_review("auto_refund_failed", p)) {
          channel_net -= record->amount_minor - record->refunded_minor;
        }
      }
    }
    const int64_t ours = (v.has_paid_payment_no() ? v.amount() : 0) - v.refunded_amount();
    if (ours != channel_net) {
      violation(io, "after the drain oncepay's net is " + std::to_string(ours) +
                        " but the channel's is " + std::to_string(channel_net));
    }
  }
  // 5. States only move forward (compared with the last state read while
  // storage was healthy: after a failed fdatasync the actor shows events
  // that may not survive the restart).
  if (order.status && !order_step_allowed(*order.status, v.status())) {
    violation(io, "order status went " + v1::Order::Status_Name(*order.status) + " -> " +
                      v1::Order::Status_Name(v.status()));
  }
  for (const auto& a : v.attempts()) {
    auto it = order.attempts.find(a.payment_no());
    if (it != order.attempts.end() && !attempt_step_allowed(it->second, a.status())) {
      violation(io, "attempt " + a.payment_no() + " went " + v1::Attempt::Status_Name(it->second) +
                        " -> " + v1::Attempt::Status_Name(a.status()));
    }
  }
  if (engine_->storage_healthy()) note_view(o, v);
}

void Simulation::note_view(size_t o, const v1::OrderView& v) {
  SimOrder& order = orders_[o];
  order.status = v.status();
  for (const auto& a : v.attempts()) order.attempts[a.payment_no()] = a.status();
}

void Simulation::drain() {
  draining_ = true;
  trace(-1, "drain: no new faults; every ladder runs out");
  if (!engine_->storage_healthy()) crash_and_restart("storage failed", 0);
  if (stopped_) return;
  advance(kDrainMs);
  if (stopped_) return;
  std::vector<size_t> all(orders_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  check(all, true);
}

SimResult Simulation::run() {
  if (dir_.empty()) {
    result_.report.push_back("cannot create a temporary directory");
    ++result_.violations;
    return result_;
  }
  if (!open_engine()) return result_;
  for (uint64_t i = 0; i < options_.steps && !stopped_; ++i) step();
  result_.steps = step_no_;
  if (!stopped_) drain();
  return result_;
}

}  // namespace

const std::vector<std::string>& fault_kinds() {
  static const std::vector<std::string> kinds(std::begin(kFaultKinds), std::end(kFaultKinds));
  return kinds;
}

bool parse_faults(const std::string& text, std::set<std::string>* out, std::string* error) {
  out->clear();
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string token = text.substr(start, end - start);
    start = end + 1;
    if (token.empty()) {
      if (end == text.size()) break;
      continue;
    }
    const bool remove = token[0] == '-';
    if (remove) token.erase(0, 1);
    if (first && remove) out->insert(fault_kinds().begin(), fault_kinds().end());
    first = false;
    if (token == "all") {
      out->insert(fault_kinds().begin(), fault_kinds().end());
    } else if (token == "none") {
      out->clear();
    } else if (std::find(fault_kinds().begin(), fault_kinds().end(), token) !=
               fault_kinds().end()) {
      if (remove) {
        out->erase(token);
      } else {
        out->insert(token);
      }
    } else {
      *error = "unknown fault '" + token + "'";
      return false;
    }
    if (end == text.size()) break;
  }
  return true;
}

std::string SimResult::json() const {
  return "{\"seed\":" + std::to_string(seed) + ",\"steps\":" + std::to_string(steps) +
         ",\"orders\":" + std::to_string(orders) + ",\"crashes\":" + std::to_string(crashes) +
         ",\"faults\":" + std::to_string(faults) +
         ",\"invariant_checks\":" + std::to_string(invariant_checks) +
         ",\"refused_notifications\":" + std::to_string(refused_notifications) +
         ",\"violations\":" + std::to_string(violations) + "}";
}

std::set<std::string> all_faults() { return {fault_kinds().begin(), fault_kinds().end()}; }

SimResult run_simulation(const SimOptions& options) {
  Simulation sim(options);
  return sim.run();
}

}  // namespace oncepay::sim
