#include "service/writer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "domain/event_codec.h"
#include "projections/appender.h"
#include "projections/projector.h"
#include "service/read_view.h"

namespace esms::service {
namespace {

// The event id of a line that did not decode, when its JSON has a valid one.
std::string IdOfUndecodedEvent(std::string_view event_json) {
  const nlohmann::json parsed = nlohmann::json::parse(event_json, nullptr, false);
  if (!parsed.is_object()) return "";
  auto it = parsed.find("id");
  if (it == parsed.end() || !it->is_string()) return "";
  std::string id = it->get<std::string>();
  return ledger::IsValidEventId(id) ? id : "";
}

// The event of a signed line's event text, decoded as the local import decodes the
// event of a signed line (projections/import_pipeline.cc): its text as it is; when that
// does not decode, its JSON re-serialized (projections::ParseSignedLine's `event`, which
// holds no duplicate key). A client sends the text as it is in its line (service/client.cc
// ReadPlainSignedLine), or already re-serialized.
Result<domain::Event> DecodeEvent(std::string_view event_json) {
  Result<domain::Event> event = domain::ParseEvent(event_json);
  if (event.ok()) return event;
  const nlohmann::json parsed = nlohmann::json::parse(event_json, nullptr, false);
  if (!parsed.is_object()) return event;
  std::string normalized = parsed.dump();
  if (normalized == event_json) return event;
  return domain::ParseEvent(normalized);
}

// Lowers the calling thread's scheduling priority by `steps` nice steps (at most to 19).
// Lowering one's own priority needs no privilege; a failure leaves it as it was.
void LowerThreadPriority(int steps) {
  if (steps <= 0) return;
  const id_t tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  ::setpriority(PRIO_PROCESS, tid, std::min(19, now + steps));
}

}  // namespace

const ReadCommandInfo& InfoOf(ReadRequest::Command command) {
  using Command = ReadRequest::Command;
  using Info = ReadCommandInfo;
  static constexpr Info kLog{Command::kLog, "log", ReadKind::kLog, false, false};
  static constexpr Info kVerify{Command::kVerify, "verify", ReadKind::kVerify, false, false};
  static constexpr Info kCheckpoint{Command::kCheckpoint, "checkpoint", ReadKind::kCheckpoint,
                                    false, false};
  static constexpr Info kProve{Command::kProve, "prove", ReadKind::kProve, false, false};
  static constexpr Info kConsistency{Command::kConsistency, "consistency", ReadKind::kConsistency,
                                     false, false};
  static constexpr Info kState{Command::kState, "state", ReadKind::kState, true, true};
  static constexpr Info kCheck{Command::kCheck, "check", ReadKind::kCheck, true, true};
  // HistoryTarget tells a FINESS apart; the history reads the streams index.
  static constexpr Info kHistory{Command::kHistory, "history", ReadKind::kHistoryProject, true,
                                 false};
  // The reads whose products the client writes (report, bundle, share): BuildBundle's
  // proofs and the checkpoint read the Ledger beyond the head, so they run on the writer.
  static constexpr Info kReport{Command::kReport, "report", ReadKind::kReportActiveDui, false,
                                false};
  static constexpr Info kBundle{Command::kBundle, "bundle", ReadKind::kBundle, true, false};
  static constexpr Info kShare{Command::kShare, "share", ReadKind::kReportActiveDui, false, false};
  // A switch, not a search: a command added to the enum and not here fails to compile
  // (-Wswitch), rather than being read with another command's access kind.
  switch (command) {
    case Command::kLog:
      return kLog;
    case Command::kVerify:
      return kVerify;
    case Command::kCheckpoint:
      return kCheckpoint;
    case Command::kProve:
      return kProve;
    case Command::kConsistency:
      return kConsistency;
    case Command::kState:
      return kState;
    case Command::kCheck:
      return kCheck;
    case Command::kHistory:
      return kHistory;
    case Command::kReport:
      return kReport;
    case Command::kBundle:
      return kBundle;
    case Command::kShare:
      return kShare;
  }
  return kLog;  // not reached
}

struct Writer::Job {
  bool is_read = false;
  uint64_t id = 0;
  std::chrono::steady_clock::time_point queued = std::chrono::steady_clock::now();
  // An append: its lines, and each line decoded and its signature checked.
  std::vector<AppendLine> lines;
  struct Prepared {
    Status status;  // the line's refusal found while decoding
    std::string id;
    std::optional<domain::Event> event;
    bool verified = false;
    ledger::PublicKey verified_with{};
  };
  std::vector<Prepared> prepared;
  size_t slices_left = 0;  // its slices not verified yet (under Writer::mu_)
  std::function<void(AppendResult)> append_done;
  // A read.
  ReadRequest read;
  std::function<void(ReadOutput)> read_done;
  int64_t lease_micros = -1;          // a view read: the time its lease took
  std::string_view where = "writer";  // the thread a read ran on
  // A posted job (Post): run instead of a read when set.
  std::function<void()> task;
};

Writer::Writer(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<Writer>> Writer::Start(std::unique_ptr<ledger::Ledger> ledger,
                                              Options options) {
  std::unique_ptr<Writer> w(new Writer(std::move(options)));
  w->ledger_ = std::move(ledger);
  w->origin_ = w->ledger_->origin();
  w->verifier_key_ = w->ledger_->verifier_key();
  ASSIGN_OR_RETURN(w->projector_, projections::Projector::Open(*w->ledger_));
  w->appender_ = std::make_unique<projections::EventAppender>(*w->ledger_);
  w->projector_->Install(*w->appender_);
  w->keys_ = std::make_shared<const ledger::KeyRegistry>(w->appender_->keys());
  w->size_ = w->ledger_->size();
  if (w->options_.read_view) {
    // The view opens from the snapshot: one replay of the records after it, not two.
    if (w->projector_->replayed() > 0) {
      if (Status s = w->projector_->SaveSnapshot(); !s.ok() && w->options_.log != nullptr) {
        w->options_.log->warn("projection snapshot not saved: {}", s.ToString());
      }
    }
    ASSIGN_OR_RETURN(w->view_, ReadView::Open(*w->ledger_));
    w->viewer_ = std::thread([p = w.get()] { p->ViewLoop(); });
  }
  size_t threads = w->options_.verify_threads;
  if (threads == 0) threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 64);
  for (size_t i = 0; i < threads; ++i)
    w->verifiers_.emplace_back([p = w.get()] { p->VerifyLoop(); });
  w->writer_ = std::thread([p = w.get()] { p->WriteLoop(); });
  return w;
}

Writer::~Writer() { Stop(); }

void Writer::Append(uint64_t request_id, std::vector<AppendLine> lines,
                    std::function<void(AppendResult)> done) {
  auto job = std::make_unique<Job>();
  job->id = request_id;
  job->lines = std::move(lines);
  job->append_done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      ++in_flight_;
      // When the verifiers have nothing queued, its lines in slices of at most
      // kVerifySlice, of even sizes, which they take in turn: the request is checked by
      // every idle verifier at once (its answer sooner). Behind other requests, whole:
      // the verifiers then check several requests side by side, which the writer takes
      // together, in one group commit (sliced, they would come out one at a time, a
      // synced write each).
      const size_t n = job->lines.size();
      const size_t slices =
          to_verify_.empty() ? (n + kVerifySlice - 1) / kVerifySlice : std::min<size_t>(n, 1);
      job->prepared.resize(n);
      job->slices_left = slices;
      for (size_t k = 0; k < slices; ++k) {
        to_verify_.push_back({job.get(), n * k / slices, n * (k + 1) / slices});
      }
      if (slices == 0) {
        to_write_.push_back(std::move(job));
        write_cv_.notify_one();
        return;
      }
      ++verifying_;
      verifying_jobs_.push_back(std::move(job));
      if (slices == 1) {
        verify_cv_.notify_one();
      } else {
        verify_cv_.notify_all();
      }
      return;
    }
  }
  AppendResult refused;
  refused.refusal = Status::Unavailable(
      "the server is shutting down: nothing of this request "
      "was written; retry against the restarted server");
  refused.refused_line = job->lines.empty() ? 0 : job->lines.front().line;
  refused.size = size_.load();
  job->append_done(std::move(refused));
}

void Writer::Read(uint64_t request_id, ReadRequest request, std::function<void(ReadOutput)> done) {
  auto job = std::make_unique<Job>();
  job->is_read = true;
  job->id = request_id;
  job->read = std::move(request);
  job->read_done = std::move(done);
  const bool on_view = view_ != nullptr && InfoOf(job->read.command).on_view;
  bool refused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refused = stopping_;
    if (!refused) {
      ++in_flight_;
      if (!on_view) {
        to_write_.push_back(std::move(job));
        write_cv_.notify_one();
        return;
      }
    }
  }
  if (refused) {
    job->read_done({"", "error: LEDGER_LOCKED: the server is shutting down\n", 4});
    return;
  }
  // A view read: here, on the caller's thread (the RPC event loop), when the view is free
  // and nearly caught up (no hop to the reader thread); else on the reader thread.
  if (std::optional<ReadView::Lease> lease = view_->TryCurrent(kInlineCatchUp)) {
    job->lease_micros = 0;
    job->where = "caller";
    RunRead(*job, lease->ledger(), lease->projector());
    --in_flight_;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      to_view_.push_back(std::move(job));
      view_cv_.notify_one();
      return;
    }
  }
  // Stopping meanwhile: the reader thread may be gone; read here, waiting for the view.
  ViewRead(*job);
  --in_flight_;
}

void Writer::Post(std::function<void()> task) {
  auto job = std::make_unique<Job>();
  job->is_read = true;
  job->task = std::move(task);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      ++in_flight_;
      to_write_.push_back(std::move(job));
      write_cv_.notify_one();
      return;
    }
  }
  // Stopping: the job is dropped, destroyed unrun here, outside the lock.
}

LedgerInfo Writer::Info(const std::optional<ledger::PublicKey>& public_key) const {
  LedgerInfo info{origin_, verifier_key_, size_.load(), ""};
  if (public_key.has_value()) {
    std::shared_ptr<const ledger::KeyRegistry> keys;
    {
      std::lock_guard<std::mutex> lock(mu_);
      keys = keys_;
    }
    if (const ledger::KeyInfo* k = keys->FindActive(*public_key)) {
      info.signer = k->name;
    } else {
      // A revoked key is still enrolled under its name: the client signs its lines as
      // that name and the ledger refuses them as the local import does ("key 'NAME' was
      // revoked at seq N", with that seq), not as a key it never saw.
      for (const auto& [name, k] : keys->keys()) {
        if (k.key == *public_key) info.signer = name;
      }
    }
  }
  return info;
}

std::optional<ledger::PublicKey> Writer::ActiveKey(std::string_view name) const {
  std::shared_ptr<const ledger::KeyRegistry> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys = keys_;
  }
  const ledger::KeyInfo* k = keys->Find(name);
  if (k == nullptr || !k->active()) return std::nullopt;
  return k->key;
}

std::shared_ptr<const ledger::KeyRegistry> Writer::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_;
}

void Writer::VerifyLoop() {
  ::pthread_setname_np(::pthread_self(), "esms-verify");  // for top -H, perf, /proc
  LowerThreadPriority(options_.verify_nice);
  for (;;) {
    Slice slice;
    std::shared_ptr<const ledger::KeyRegistry> keys;
    {
      std::unique_lock<std::mutex> lock(mu_);
      verify_cv_.wait(lock, [this] { return !to_verify_.empty() || stopping_; });
      if (to_verify_.empty()) return;  // stopping, and nothing left
      slice = to_verify_.front();
      to_verify_.pop_front();
      keys = keys_;
    }
    PrepareLines(*slice.job, slice.begin, slice.end, *keys);
    bool ready = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--slice.job->slices_left == 0) {
        // Its last slice: the request goes to the writer, ended at its first bad line.
        std::vector<Job::Prepared>& prepared = slice.job->prepared;
        for (size_t i = 0; i < prepared.size(); ++i) {
          if (!prepared[i].status.ok()) {
            prepared.resize(i + 1);
            break;
          }
        }
        auto it = std::find_if(verifying_jobs_.begin(), verifying_jobs_.end(),
                               [&](const std::unique_ptr<Job>& j) { return j.get() == slice.job; });
        to_write_.push_back(std::move(*it));
        verifying_jobs_.erase(it);
        --verifying_;
        ready = true;
      }
    }
    if (ready) write_cv_.notify_one();
  }
}

// Decodes lines [begin, end) of `job` and checks their signatures against the keys
// enrolled under their signers' names at the last commit. What the keys do not know (a
// key enrolled by an earlier line not yet committed) is left to the ledger, in order.
// Stops at a line that does not decode: the request ends at its first such line (the
// lines after it, in this slice or the next, are not taken).
void Writer::PrepareLines(Job& job, size_t begin, size_t end, const ledger::KeyRegistry& keys) {
  for (size_t i = begin; i < end; ++i) {
    const AppendLine& line = job.lines[i];
    Job::Prepared& p = job.prepared[i];
    Result<domain::Event> event =
        line.refusal.ok() ? DecodeEvent(line.event_json) : Result<domain::Event>(line.refusal);
    if (!event.ok()) {
      p.status = std::move(event).TakeStatus();
      p.id = IdOfUndecodedEvent(line.event_json);
      return;
    }
    p.id = event->id;
    p.event = std::move(event).value();
    const ledger::KeyInfo* signer = keys.Find(line.signer);
    if (signer == nullptr || !signer->active()) continue;  // refused (or known) in order
    Result<ledger::Entry> entry = projections::EntryFromEvent(*p.event);
    if (!entry.ok()) continue;
    ledger::Statement statement{origin_,   entry->event_id,         entry->type,    entry->stream,
                                entry->at, entry->expected_version, entry->payload, signer->name};
    Result<ledger::Bytes> bytes = ledger::StatementBytes(statement);
    if (!bytes.ok()) continue;
    p.verified = ledger::VerifyStatementSignature(*bytes, line.signature, signer->key);
    if (p.verified) p.verified_with = signer->key;
  }
}

void Writer::WriteLoop() {
  ::pthread_setname_np(::pthread_self(), "esms-writer");
  for (;;) {
    std::vector<std::unique_ptr<Job>> appends, reads;
    size_t depth = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      write_cv_.wait(lock, [this] {
        return !to_write_.empty() || (stopping_ && to_verify_.empty() && verifying_ == 0);
      });
      if (to_write_.empty()) return;
      size_t lines = 0;
      while (!to_write_.empty() && lines < options_.max_batch_lines) {
        std::unique_ptr<Job>& job = to_write_.front();
        lines += job->lines.size();
        (job->is_read ? reads : appends).push_back(std::move(job));
        to_write_.pop_front();
      }
      depth = to_write_.size() + verifying_;  // requests
    }
    if (options_.observer.on_queue_depth) options_.observer.on_queue_depth(depth);
    // Reads first, between two commits (nothing is staged now): a read waits for one
    // group commit at most.
    for (std::unique_ptr<Job>& job : reads) {
      if (job->task) {
        job->task();
        --in_flight_;
        continue;
      }
      RunRead(*job, *ledger_, *projector_);
      --in_flight_;
    }
    if (!appends.empty()) RunAppends(appends);
  }
}

// The reader thread: the on_view reads, each under a lease on the view as of the last
// commit, while the writer stages and writes the next one.
void Writer::ViewLoop() {
  ::pthread_setname_np(::pthread_self(), "esms-view");
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      view_cv_.wait(lock, [this] { return !to_view_.empty() || stopping_; });
      if (to_view_.empty()) return;  // stopping, and nothing left
      job = std::move(to_view_.front());
      to_view_.pop_front();
    }
    ViewRead(*job);
    --in_flight_;
  }
}

void Writer::ViewRead(Job& job) {
  const auto asked = std::chrono::steady_clock::now();
  Result<ReadView::Lease> lease = view_->Current();
  if (!lease.ok()) {
    if (options_.log != nullptr) {
      options_.log->error("req={} read view not caught up: {}", job.id, lease.status().ToString());
    }
    job.read_done({"", fmt::format("error: {}\n", lease.status().ToString()), 4});
    return;
  }
  job.lease_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - asked)
                         .count();
  job.where = "reader";
  RunRead(job, lease->ledger(), lease->projector());
}

void Writer::RunRead(Job& job, ledger::Ledger& ledger, projections::Projector& projector) {
  const auto start = std::chrono::steady_clock::now();
  ReadOutput output;
  if (options_.read_handler) {
    output = options_.read_handler(job.read, ledger, projector);
  } else {
    output = {"", "error: USAGE: this server serves no reads\n", 2};
  }
  const auto now = std::chrono::steady_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - start).count();
  if (options_.log != nullptr) {
    // queued_micros: from the request's arrival to its answer; thread: writer, reader (the
    // view's thread) or caller (the view, on the RPC event loop); lease_micros (view
    // reads): the wait for the view's lock and its catching up.
    options_.log->info(
        "req={} read={} exit={} micros={} queued_micros={} thread={}{}", job.id,
        CommandName(job.read.command), output.exit_code, micros,
        std::chrono::duration_cast<std::chrono::microseconds>(now - job.queued).count(), job.where,
        job.lease_micros < 0 ? std::string() : fmt::format(" lease_micros={}", job.lease_micros));
  }
  job.read_done(std::move(output));
}

// Appender::Commit, in the steps the view needs: the write handed off (Submit) and, once
// on disk, reaped into the Ledger's head, each under the view's lock; the disk waited for
// without it, so that the view's reads go on meanwhile. The reap does not block: a
// Submit with nothing staged only takes the writes that are done. Without a view: Commit.
Status Writer::CommitVisible() {
  if (view_ == nullptr) return appender_->Commit();
  const uint64_t target = ledger_->size() + appender_->staged();
  {
    auto lock = view_->Exclusive();
    RETURN_IF_ERROR(appender_->Submit());
  }
  // ledger_->size() is only changed on this thread. Looks 100 us apart, then further
  // apart up to 1 ms (a write takes milliseconds; each look a try of the reap under the
  // lock): the answer comes at most ~1 ms late, for a few dozen wake-ups a write.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t pause_micros = 100;
  while (ledger_->size() < target && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::microseconds(pause_micros));
    pause_micros = std::min<int64_t>(pause_micros * 3 / 2, 1000);
    auto lock = view_->Exclusive();
    RETURN_IF_ERROR(appender_->Submit());
  }
  // Done (Flush returns at once), or a disk slower than 10 s: wait for it, under the lock.
  auto lock = view_->Exclusive();
  return appender_->Flush();
}

void Writer::RunAppends(std::vector<std::unique_ptr<Job>>& jobs) {
  std::vector<AppendResult> results(jobs.size());
  uint64_t staged = 0;
  for (size_t j = 0; j < jobs.size(); ++j) {
    Job& job = *jobs[j];
    AppendResult& result = results[j];
    for (size_t i = 0; i < job.prepared.size(); ++i) {
      const AppendLine& line = job.lines[i];
      Job::Prepared& p = job.prepared[i];
      Result<ledger::Appended> added = Status::OK();
      if (!p.status.ok()) {
        added = std::move(p.status);
      } else {
        added = appender_->AddSignedEvent(*p.event, line.signer, line.signature,
                                          p.verified ? &p.verified_with : nullptr);
      }
      if (!added.ok()) {
        result.refusal = std::move(added).TakeStatus();
        result.refused_line = line.line;
        result.refused_id = p.id;
        break;
      }
      if (!added->existing) ++staged;
      result.results.push_back({line.line, p.id, *added});
    }
  }
  const auto start = std::chrono::steady_clock::now();
  Status committed = CommitVisible();
  const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  if (!committed.ok()) {
    // The state folded records that were not written: reload it, and start a new batch
    // (a batch returns its write error from every call after one). The old batch resets
    // the Ledger's head as it goes: under the view's lock.
    std::unique_lock<std::mutex> view_lock;
    if (view_ != nullptr) view_lock = view_->Exclusive();
    if (Status s = projector_->Reload(); !s.ok() && options_.log != nullptr) {
      options_.log->error("state not reloaded after a failed commit: {}", s.ToString());
    }
    appender_ = std::make_unique<projections::EventAppender>(*ledger_);
    projector_->Install(*appender_);
    for (AppendResult& result : results) {
      if (result.results.empty()) continue;  // nothing of it was staged: its refusal stands
      result.refused_line = result.results.front().line;
      result.refused_last = result.results.back().line;
      result.refused_id = result.results.front().id;
      std::string range = result.refused_last > result.refused_line
                              ? fmt::format("lines {}-{}", result.refused_line, result.refused_last)
                              : fmt::format("line {}", result.refused_line);
      result.refusal = Status(committed).WithContext(
          fmt::format("{} not written (the lines before are appended)", range));
      result.results.clear();
    }
  } else {
    size_ = ledger_->size();
    auto keys = std::make_shared<const ledger::KeyRegistry>(appender_->keys());
    {
      std::lock_guard<std::mutex> lock(mu_);
      keys_ = std::move(keys);
    }
    records_since_snapshot_ += staged;
    // A lagging snapshot only makes the next open replay more records.
    if (records_since_snapshot_ >= 100000) {
      std::unique_lock<std::mutex> view_lock;  // PutSnapshot: no read of the Ledger meanwhile
      if (view_ != nullptr) view_lock = view_->Exclusive();
      if (Status s = projector_->SaveSnapshot(); !s.ok() && options_.log != nullptr) {
        options_.log->warn("projection snapshot not saved: {}", s.ToString());
      }
      records_since_snapshot_ = 0;
    }
    if (options_.observer.on_commit) options_.observer.on_commit(micros, staged);
    if (options_.observer.on_size) options_.observer.on_size(size_.load());
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    AppendResult& result = results[j];
    result.size = size_.load();
    if (!result.refusal.ok() && options_.observer.on_refusal) {
      std::string_view code = result.refusal.error_code();
      options_.observer.on_refusal(code.empty() ? DefaultErrorCode(result.refusal.code()) : code);
    }
    if (options_.log != nullptr) {
      // ack_micros: from the request's arrival to its answer (its commit durable).
      options_.log->info(
          "req={} append lines={} results={} refused={} commit_micros={} ack_micros={} size={}",
          jobs[j]->id, jobs[j]->lines.size(), result.results.size(),
          result.refusal.ok() ? std::string("-") : result.refusal.ToString(), micros,
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                jobs[j]->queued)
              .count(),
          result.size);
    }
    jobs[j]->append_done(std::move(result));
    --in_flight_;
  }
}

void Writer::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (joined_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  verify_cv_.notify_all();
  write_cv_.notify_all();
  view_cv_.notify_all();
  for (std::thread& t : verifiers_) t.join();
  if (viewer_.joinable()) viewer_.join();  // its reads answered
  // The verifiers are gone: wake the writer for its last look at the queues.
  write_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // not started when Start() failed
  joined_ = true;
  if (projector_ != nullptr && records_since_snapshot_ > 0) {
    std::unique_lock<std::mutex> view_lock;  // a read on a caller's thread may still run
    if (view_ != nullptr) view_lock = view_->Exclusive();
    if (Status s = projector_->SaveSnapshot(); !s.ok() && options_.log != nullptr) {
      options_.log->warn("projection snapshot not saved: {}", s.ToString());
    }
  }
}

}  // namespace esms::service
