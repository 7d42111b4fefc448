// Writer: the one thread that owns the served ledger (ledger::Ledger opened read-write,
// its projections::Projector and a key-less projections::EventAppender, as the local
// import sets them up) and the pipeline that feeds it.
//
// The write path: Append() hands a request's signed lines to verifier threads, which
// decode each event and check its author's signature against the keys as enrolled at
// the last commit (off the writer thread); the writer then takes every request waiting,
// stages their lines in order (AddSignedEvent, with the key already checked), commits
// ONCE for all of them (group commit shared by the clients) and answers each request
// only once that commit is durable: its per-line results, or its first refused line
// (the lines before it are appended; the other requests are unaffected). A failed
// commit fails every request of that commit and reloads the state, as the local import
// does.
//
// Reads: a ReadHandler given by the caller (cli) runs the very command the local program
// runs, against the served ledger and a projected state. `state` and `check` are served
// from the ReadView (service/read_view.h: the ledger as of the last commit and a follower
// state), so they do not wait for the commit in progress: on the caller's thread (the RPC
// event loop) when the view is free and has at most kInlineCatchUp records to fold, else
// on the view's reader thread; the
// writer commits in two steps for it (CommitVisible: the write handed off and reaped
// under the view's lock, the disk waited for without it). The other reads
// (ReadCommandInfo::on_view false: they use ledger indexes a write in flight may already
// have extended) run on the writer thread between two group commits, as do Post()ed jobs.
//
// Thread-safety: Append, Read, Info and Stop may be called from any thread; the
// callbacks run on a writer or verifier thread.
#ifndef ESMS_SERVICE_WRITER_H_
#define ESMS_SERVICE_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "service/access.h"
#include "service/read_request.h"

namespace spdlog {
class logger;
}

namespace esms::projections {
class Projector;
class EventAppender;
}  // namespace esms::projections

namespace esms::service {

class ReadView;

// One event its author signed, as a client sends it.
struct AppendLine {
  uint64_t line = 0;       // the client's line number, echoed back
  std::string event_json;  // the event object's JSON text
  std::string signer;      // the enrolled key's name
  ledger::Signature signature{};
  Status refusal;  // not OK: the line came malformed off the wire, refused with this
};

struct LineOutcome {
  uint64_t line = 0;
  std::string id;
  ledger::Appended appended;
};

struct AppendResult {
  std::vector<LineOutcome> results;  // the appended (or already present) lines, in order
  Status refusal;                    // OK: every line appended
  uint64_t refused_line = 0;         // the refused line (when !refusal.ok())
  uint64_t refused_last = 0;         // > refused_line: a failed write left these unwritten
  std::string refused_id;            // the refused line's event id, if known
  uint64_t size = 0;                 // the ledger's size once answered
};

// What the server knows of each read command: one table (writer.cc) for its name (logs),
// the access kind it is checked as (service/access.h; history's is refined by
// HistoryTarget), and where it runs.
struct ReadCommandInfo {
  ReadRequest::Command command;
  std::string_view name;
  ReadKind kind;
  bool project_scoped;  // one project's (or FINESS's) data: scoped by the projected state
  // Served from the ReadView: reads only the projected state, Ledger::Get and keys().
  bool on_view;
};
const ReadCommandInfo& InfoOf(ReadRequest::Command command);
inline std::string_view CommandName(ReadRequest::Command command) { return InfoOf(command).name; }

// What a read printed, and its exit code (INTERFACE.md §5).
struct ReadOutput {
  ReadOutput() = default;
  ReadOutput(std::string out_text, std::string err_text, int code)
      : out(std::move(out_text)), err(std::move(err_text)), exit_code(code) {}

  std::string out;
  std::string err;
  int exit_code = 0;
  // report, bundle, share (exit_code 0): what the client writes to its files and prints
  // itself (cli/remote.cc). report: `text` the report in its format, `json` the JSON
  // report; share: `text` the share (cli/federation.h ShareToJson); `bundle` the
  // evidence bundle's JSON.
  std::string text, json, bundle;
  // share: its refusal (the federating client names the entry); out/err are unused.
  Status error;
};

// Runs `request` against the served ledger and a state of the same commit: on the writer
// thread between commits (nothing staged), or on the reader thread under a ReadView lease
// (ReadCommandInfo::on_view).
using ReadHandler = std::function<ReadOutput(const ReadRequest& request, ledger::Ledger& ledger,
                                             projections::Projector& projector)>;

// Hooks for the service's metrics (service::Metrics of http15): each may be empty.
struct WriterObserver {
  std::function<void(int64_t duration_micros, uint64_t records)> on_commit;
  std::function<void(std::string_view code)> on_refusal;
  std::function<void(size_t depth)> on_queue_depth;
  std::function<void(uint64_t size)> on_size;
};

struct LedgerInfo {
  std::string origin;
  std::string verifier_key;  // ledger.pub's line
  uint64_t size = 0;
  std::string signer;  // the name the key asked about is enrolled under, revoked or not
                       // ("" if none)
};

class Writer {
 public:
  struct Options {
    size_t verify_threads = 0;  // 0: one per core
    // Lines staged by one group commit, at most (a request is never split: a commit
    // takes whole requests until it holds this many lines). Bounded so that one commit
    // stays a small slice of work for the read view, which folds it before its next read
    // (1 024 records: ~4 ms on this machine); the local import commits every 1 000.
    size_t max_batch_lines = 1024;
    // The verifier threads (the bulk of an append's CPU: decoding, signature checks) run
    // this many nice steps below the server's other threads (setpriority of their own
    // thread, which needs no privilege), so that the event loop, the reads and the
    // writer get a core first when the cores are all busy. 0: the same priority.
    int verify_nice = 10;
    // Serve the on_view reads from a ReadView on a reader thread (false: every read on
    // the writer thread, between commits, as before).
    bool read_view = true;
    ReadHandler read_handler;
    WriterObserver observer;
    spdlog::logger* log = nullptr;  // must outlive the writer; may be null
  };

  // Takes the ledger (opened read-write), opens its projected state and starts the
  // threads.
  static Result<std::unique_ptr<Writer>> Start(std::unique_ptr<ledger::Ledger> ledger,
                                               Options options);
  ~Writer();  // Stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues the lines of one request; `done` is called once they are durable (or
  // refused). After Stop(): Unavailable at once.
  void Append(uint64_t request_id, std::vector<AppendLine> lines,
              std::function<void(AppendResult)> done);
  // Queues a read; `done` gets its output.
  void Read(uint64_t request_id, ReadRequest request, std::function<void(ReadOutput)> done);
  // Queues `job` to run on the writer thread between two group commits (nothing staged),
  // where it may read ledger() (the HTTP front's reads: service::PostedLedgerReads).
  // After Stop(), or when the writer stops before running it, the job is dropped
  // (destroyed unrun).
  void Post(std::function<void()> job);
  // The served ledger: read it only from a job given to Post (on the writer thread).
  const ledger::Ledger& ledger() const { return *ledger_; }
  // The ledger's origin, verifier key and size; `public_key`: the name it is enrolled
  // under as of the last commit.
  LedgerInfo Info(const std::optional<ledger::PublicKey>& public_key) const;
  // The public key enrolled as `name` (active), as of the last commit.
  std::optional<ledger::PublicKey> ActiveKey(std::string_view name) const;
  // Who may sign, as of the last commit (a login is checked against it).
  std::shared_ptr<const ledger::KeyRegistry> Keys() const;
  // Requests queued or being worked on.
  size_t in_flight() const { return in_flight_.load(); }

  // Stops taking work, finishes and answers everything queued, saves the state's
  // snapshot and joins the threads. Idempotent.
  void Stop();

 private:
  struct Job;
  explicit Writer(Options options);
  void VerifyLoop();
  void WriteLoop();
  // Lines [begin, end) of an append, for one verifier.
  struct Slice {
    Job* job = nullptr;  // owned by verifying_jobs_
    size_t begin = 0, end = 0;
  };
  // Lines of one slice at most: a request of more, when no other is waiting to be
  // checked, is checked by several verifiers at once (its acknowledgement waits for its
  // slowest slice, not for all its lines on one thread).
  static constexpr size_t kVerifySlice = 64;
  void PrepareLines(Job& job, size_t begin, size_t end, const ledger::KeyRegistry& keys);
  void RunAppends(std::vector<std::unique_ptr<Job>>& jobs);
  void ViewLoop();
  void RunRead(Job& job, ledger::Ledger& ledger, projections::Projector& projector);
  void ViewRead(Job& job);  // under a lease, waiting for it
  // A view read runs on the caller's thread when at most this many records are to be
  // folded into the view first.
  static constexpr uint64_t kInlineCatchUp = 256;
  Status CommitVisible();

  Options options_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<projections::Projector> projector_;
  std::unique_ptr<projections::EventAppender> appender_;
  std::unique_ptr<ReadView> view_;  // null without Options::read_view
  std::string origin_;
  std::string verifier_key_;
  uint64_t records_since_snapshot_ = 0;

  mutable std::mutex mu_;
  std::condition_variable verify_cv_, write_cv_, view_cv_;
  std::deque<Slice> to_verify_;
  std::deque<std::unique_ptr<Job>> to_write_, to_view_;
  bool stopping_ = false;
  // The appends being verified (their slices queued or being checked), and their count.
  std::vector<std::unique_ptr<Job>> verifying_jobs_;
  size_t verifying_ = 0;
  std::shared_ptr<const ledger::KeyRegistry> keys_;  // as of the last commit
  std::atomic<uint64_t> size_{0};
  std::atomic<size_t> in_flight_{0};

  std::vector<std::thread> verifiers_;
  std::thread writer_;
  std::thread viewer_;  // the reader thread of view_
  bool joined_ = false;
  std::mutex stop_mu_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_WRITER_H_
