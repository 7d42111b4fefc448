// The pusher of `serve --witness`. See service/witness_pusher.h.
#include "service/witness_pusher.h"

#include <algorithm>
#include <future>
#include <utility>

#include <fmt/format.h>
#include <kj/async-io.h>
#include <spdlog/spdlog.h>

#include "base/kj.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "service/metrics.h"
#include "service/writer.h"
#include "witness/client.h"

namespace esms::service {

using Clock = std::chrono::steady_clock;

struct WitnessPusher::Peer {
  witness::WitnessSpec spec;
  std::unique_ptr<witness::WitnessClient> client;  // on the pusher's event loop
  uint64_t held = 0;                               // the size the witness is believed to hold
  uint64_t cosigned_size = 0;                      // the size of `cosignature` (0: none)
  std::string cosignature;  // its valid cosignature line(s) on that checkpoint
  Clock::time_point due{};  // next attempt, when behind
  std::chrono::milliseconds backoff{0};
  int moves = 0;             // 409s with a size in a row
  bool reconnected = false;  // a failed request on a kept-alive connection was retried
};

struct WitnessPusher::Round {
  std::string note;  // the ledger's latest checkpoint
  uint64_t size = 0;
  // Per peer: the request from the size it holds, or why none can be made.
  std::vector<Result<witness::AddCheckpointRequest>> requests;
};

Result<std::unique_ptr<WitnessPusher>> WitnessPusher::Create(WitnessPusherOptions options) {
  if (options.witnesses.empty()) {
    return Status::InvalidArgument("USAGE", "no witness given");
  }
  if (options.quorum < 1 || options.quorum > options.witnesses.size()) {
    return Status::InvalidArgument(
        "USAGE", fmt::format("--witness-quorum {}: between 1 and the {} witness(es) given",
                             options.quorum, options.witnesses.size()));
  }
  std::unique_ptr<WitnessPusher> pusher(new WitnessPusher(std::move(options)));
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   witness::ReadCosignedCheckpoint(pusher->options_.ledger_dir));
  if (stored.has_value()) {
    ASSIGN_OR_RETURN(uint64_t size, witness::CheckpointSize(*stored));
    pusher->state_.stored_size = size;
    for (Peer& peer : pusher->peers_) {
      if (ledger::VerifyCosignature(*stored, peer.spec.key).ok()) peer.held = size;
    }
  }
  if (pusher->options_.metrics != nullptr && stored.has_value()) {
    pusher->options_.metrics->SetWitnessCosignedSize(pusher->state_.stored_size);
  }
  return pusher;
}

WitnessPusher::WitnessPusher(WitnessPusherOptions options) : options_(std::move(options)) {
  for (const witness::WitnessSpec& spec : options_.witnesses) {
    Peer peer;
    peer.spec = spec;
    peers_.push_back(std::move(peer));
  }
  state_.quorum = options_.quorum;
  state_.witnesses = options_.witnesses.size();
}

WitnessPusher::~WitnessPusher() { Stop(); }

void WitnessPusher::Start(Writer& writer, uint64_t size) {
  writer_ = &writer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_size_ = std::max(notified_size_, size);
  }
  thread_ = std::thread([this] { Loop(); });
}

void WitnessPusher::Notify(uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (size <= notified_size_) return;
  notified_size_ = size;
  cv_.notify_one();
}

WitnessQuorumState WitnessPusher::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::string WitnessPusher::HealthLine() const {
  const WitnessQuorumState s = State();
  if (s.met()) {
    return fmt::format("witnesses: quorum {} of {} met at size {}", s.quorum, s.witnesses,
                       s.latest_size);
  }
  return fmt::format(
      "witnesses: quorum {} of {} not met at size {}: {} cosigned it; stored cosigned size {}",
      s.quorum, s.witnesses, s.latest_size, s.cosigned_latest, s.stored_size);
}

void WitnessPusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (stop_fulfiller_ != nullptr) stop_fulfiller_->fulfill();
    stop_fulfiller_ = nullptr;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void WitnessPusher::Count(const Peer& peer, std::string_view result) {
  if (options_.metrics != nullptr) options_.metrics->CountWitnessPush(peer.spec.url, result);
}

void WitnessPusher::Backoff(Peer& peer, Clock::time_point now) {
  peer.backoff = peer.backoff.count() == 0 ? options_.min_backoff
                                           : std::min(peer.backoff * 2, options_.max_backoff);
  peer.due = now + peer.backoff;
  peer.moves = 0;
}

// On the writer thread, between two group commits: the latest checkpoint and, for each
// witness, the request that brings it there.
std::optional<WitnessPusher::Round> WitnessPusher::Fetch() {
  std::vector<uint64_t> held;
  for (const Peer& peer : peers_) held.push_back(peer.held);
  auto promise = std::make_shared<std::promise<Result<Round>>>();
  std::future<Result<Round>> answer = promise->get_future();
  writer_->Post([this, promise, held]() {
    const ledger::Ledger& ledger = writer_->ledger();
    Result<Round> round = [&]() -> Result<Round> {
      Round r;
      ASSIGN_OR_RETURN(std::optional<std::string> note, ledger.LatestCheckpoint());
      if (!note.has_value()) {
        return Status::FailedPrecondition("NO_CHECKPOINT", "the ledger has no checkpoint yet");
      }
      r.note = *std::move(note);
      ASSIGN_OR_RETURN(r.size, witness::CheckpointSize(r.note));
      for (uint64_t h : held) {
        if (h > r.size) {
          r.requests.push_back(Status::DataLoss(
              "ROLLBACK", fmt::format("the witness holds {} leaves, more than the ledger's {}: "
                                      "the ledger was rolled back or forked",
                                      h, r.size)));
          continue;
        }
        r.requests.push_back(witness::RequestFromLedger(ledger, h));
      }
      return r;
    }();
    promise->set_value(std::move(round));
  });
  // The job is dropped unrun only once the writer stops (the promise is then broken).
  std::optional<Result<Round>> got;
  try {
    got = answer.get();
  } catch (const std::future_error&) {
    return std::nullopt;
  }
  if (!got->ok()) {
    if (options_.log != nullptr) {
      options_.log->error("witness push: cannot read the checkpoint: {}", got->status().ToString());
    }
    return std::nullopt;
  }
  return std::move(*got).value();
}

void WitnessPusher::StoreIfQuorum(const Round& round) {
  std::string note = round.note;
  size_t count = 0;
  for (const Peer& peer : peers_) {
    if (peer.cosigned_size == round.size) {
      note += peer.cosignature;
      ++count;
    }
  }
  uint64_t stored_size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.latest_size = round.size;
    state_.cosigned_latest = count;
    stored_size = state_.stored_size;
  }
  if (count < options_.quorum || round.size < stored_size) return;
  // The same size again: rewritten only when more witnesses cosigned it than stored.
  if (round.size == stored_size) {
    Result<std::optional<std::string>> old = witness::ReadCosignedCheckpoint(options_.ledger_dir);
    if (old.ok() && old->has_value() && (*old)->size() >= note.size()) return;
  }
  Status written = witness::WriteCosignedCheckpoint(options_.ledger_dir, note);
  if (!written.ok()) {
    if (options_.log != nullptr) {
      options_.log->error("witness push: cannot store the cosigned checkpoint of size {}: {}",
                          round.size, written.ToString());
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.stored_size = round.size;
  }
  if (options_.metrics != nullptr) options_.metrics->SetWitnessCosignedSize(round.size);
  if (options_.log != nullptr) {
    options_.log->info("witness push: checkpoint {} cosigned by {} of {} witnesses, stored",
                       round.size, count, peers_.size());
  }
}

void WitnessPusher::Loop() {
  std::optional<std::string> failed = base::CatchKj([&]() {
    auto io = kj::setupAsyncIo();
    auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
    kj::ForkedPromise<void> stopped = stop.promise.fork();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stop_fulfiller_ = stop.fulfiller.get();
    }
    KJ_DEFER({
      std::lock_guard<std::mutex> lock(mu_);
      stop_fulfiller_ = nullptr;
    });
    for (Peer& peer : peers_) {
      Result<std::unique_ptr<witness::WitnessClient>> client =
          witness::WitnessClient::Create(*io.provider, peer.spec.url);
      if (client.ok()) peer.client = *std::move(client);
      if (!client.ok() && options_.log != nullptr) {
        options_.log->error("witness push: {}", client.status().ToString());
      }
    }
    // The clients' connections live on this thread's event loop: closed before it.
    KJ_DEFER({
      for (Peer& peer : peers_) peer.client.reset();
    });
    // A round that had nothing to send (the latest checkpoint lags the size notified):
    // wait for the next commit rather than spin.
    uint64_t idle_at = 0;
    while (true) {
      // Wait until a witness is behind the latest size and due.
      std::vector<size_t> due;
      {
        std::unique_lock<std::mutex> lock(mu_);
        while (true) {
          if (stopping_) break;
          const Clock::time_point now = Clock::now();
          std::optional<Clock::time_point> next;
          due.clear();
          for (size_t i = 0; i < peers_.size(); ++i) {
            const Peer& peer = peers_[i];
            if (peer.client == nullptr) continue;
            if (peer.cosigned_size >= notified_size_ || notified_size_ <= idle_at) continue;
            if (peer.due <= now) {
              due.push_back(i);
            } else if (!next.has_value() || peer.due < *next) {
              next = peer.due;
            }
          }
          if (!due.empty()) break;
          if (next.has_value()) {
            cv_.wait_until(lock, *next);
          } else {
            cv_.wait(lock);
          }
        }
        if (stopping_) break;
      }
      std::optional<Round> round = Fetch();
      if (!round.has_value()) {
        std::unique_lock<std::mutex> lock(mu_);
        if (stopping_) break;
        cv_.wait_for(lock, options_.min_backoff);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        notified_size_ = std::max(notified_size_, round->size);
      }
      // Send to every due witness at once.
      auto promises = kj::heapArrayBuilder<kj::Promise<void>>(due.size());
      std::vector<std::optional<Result<witness::SubmitReply>>> replies(peers_.size());
      const Clock::time_point now = Clock::now();
      size_t current = 0;  // due witnesses that already cosigned this round's checkpoint
      for (size_t i : due) {
        Peer& peer = peers_[i];
        if (peer.cosigned_size == round->size) {
          ++current;
          continue;
        }
        Result<witness::AddCheckpointRequest>& request = round->requests[i];
        if (!request.ok()) {
          if (options_.log != nullptr) {
            options_.log->error("witness push: witness={} status=- refused: {}", peer.spec.url,
                                request.status().ToString());
          }
          Count(peer, "rollback");
          Backoff(peer, now);
          continue;
        }
        auto submitted = io.provider->getTimer()
                             .timeoutAfter(options_.timeout.count() * kj::MILLISECONDS,
                                           peer.client->Submit(*request))
                             .catch_([url = peer.spec.url](kj::Exception&& e) {
                               return Result<witness::SubmitReply>(Status::FailedPrecondition(
                                   witness::kWitnessUnreachable,
                                   fmt::format("witness {}: {}", url, e.getDescription().cStr())));
                             });
        promises.add(submitted.then(
            [&replies, i](Result<witness::SubmitReply> reply) { replies[i] = std::move(reply); }));
      }
      if (current == due.size()) {
        std::lock_guard<std::mutex> lock(mu_);
        idle_at = notified_size_;
      }
      auto all = kj::joinPromises(promises.finish());
      bool interrupted = false;
      all.exclusiveJoin(stopped.addBranch().then([&interrupted]() { interrupted = true; }))
          .wait(io.waitScope);
      if (interrupted) break;

      const Clock::time_point answered = Clock::now();
      for (size_t i = 0; i < peers_.size(); ++i) {
        if (!replies[i].has_value()) continue;
        Peer& peer = peers_[i];
        const Result<witness::SubmitReply>& reply = *replies[i];
        if (!reply.ok() && peer.backoff.count() == 0 && !peer.reconnected) {
          // The witness may have closed the kept-alive connection while idle: once more,
          // at once, on a new one.
          peer.reconnected = true;
          peer.due = answered;
          Count(peer, "reconnect");
          continue;
        }
        if (!reply.ok()) {
          if (options_.log != nullptr) {
            options_.log->warn("witness push: witness={} status=- unreachable: {}", peer.spec.url,
                               reply.status().message());
          }
          Count(peer, "unreachable");
          Backoff(peer, answered);
          continue;
        }
        const int status = reply->http_status;
        if (reply->cosigned()) {
          const std::string cosigned = round->note + reply->body;
          Result<uint64_t> valid = ledger::VerifyCosignature(cosigned, peer.spec.key);
          if (!valid.ok()) {
            if (options_.log != nullptr) {
              options_.log->error(
                  "witness push: witness={} status=200 answered no valid cosignature by {}: {}",
                  peer.spec.url, peer.spec.key.name, valid.status().message());
            }
            Count(peer, "bad_cosignature");
            Backoff(peer, answered);
            continue;
          }
          peer.held = round->size;
          peer.cosigned_size = round->size;
          peer.cosignature = reply->body;
          if (!peer.cosignature.empty() && peer.cosignature.back() != '\n') {
            peer.cosignature.push_back('\n');
          }
          peer.backoff = std::chrono::milliseconds(0);
          peer.moves = 0;
          peer.reconnected = false;
          peer.due = answered;
          Count(peer, "cosigned");
          continue;
        }
        if (status == 409 && reply->witness_size.has_value() && *reply->witness_size != peer.held) {
          const uint64_t theirs = *reply->witness_size;
          peer.held = theirs;
          if (theirs > round->size) {
            if (options_.log != nullptr) {
              options_.log->error(
                  "witness push: witness={} status=409 holds {} leaves, more than the ledger's "
                  "{}: the ledger was rolled back or forked",
                  peer.spec.url, theirs, round->size);
            }
            Count(peer, "rollback");
            Backoff(peer, answered);
          } else if (++peer.moves > 3) {
            Count(peer, "conflict");
            Backoff(peer, answered);
          } else {
            Count(peer, "resync");
            peer.due = answered;  // at once, from the size it named
          }
          continue;
        }
        const char* result = (status == 409 || status == 422) ? "fork" : "refused";
        if (options_.log != nullptr) {
          options_.log->error("witness push: witness={} status={} refused checkpoint {}: {}",
                              peer.spec.url, status, round->size,
                              std::string_view(reply->body).substr(0, 200));
        }
        Count(peer, result);
        Backoff(peer, answered);
      }
      StoreIfQuorum(*round);
    }
  });
  if (failed && options_.log != nullptr) options_.log->error("witness push stopped: {}", *failed);
  std::lock_guard<std::mutex> lock(mu_);
  stop_fulfiller_ = nullptr;
}

}  // namespace esms::service
