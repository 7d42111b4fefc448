// ImportPipeline: the path of an import's lines (INTERFACE.md §6, `import`) into the
// ledger, on every core. Each line is decoded, its entry and statement encoded, and its
// signature made (a plain line, with its key) or checked (a signed line,
// {"event", "signer", "signature"}) on a pool of worker threads kept for the
// pipeline's life, a few chunks ahead; the calling thread only guards, stages (the
// ledger's checks, in order), folds, and commits every group of lines (the sealing
// thread then only chains and hashes, the writing thread writes). Every line is
// answered as if it had been taken alone, in order: its result once the group commit
// that holds it is durable, and the first refused line stops the import (the lines
// before it are committed).
//
// The pieces are usable alone (a server stages the lines of several clients in one
// group commit): PrepareImportLine (any thread) and StagePrepared (the appender's
// thread).
//
// Thread-safety: one ImportPipeline per EventAppender, used from the appender's thread.
#ifndef ESMS_PROJECTIONS_IMPORT_PIPELINE_H_
#define ESMS_PROJECTIONS_IMPORT_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "projections/appender.h"

namespace esms::projections {

class Projector;

// A signed line of `sign` (INTERFACE.md §6): {"event": {...}, "signer": NAME,
// "signature": BASE64}, as read.
struct SignedLine {
  std::string event;  // the event object's JSON text
  std::string signer;
  ledger::Signature signature{};
};
// nullopt when `line` is not a signed line (no top-level "signature": a plain event);
// BAD_INPUT when it is one but malformed. Shared by the local import and the service's
// client (service::ParseSignedLine).
Result<std::optional<SignedLine>> ParseSignedLine(std::string_view line);

// One line of an import, as read.
struct ImportLine {
  uint64_t line_no = 0;
  std::string text;
  Status read_error;  // the line could not be read: refused in its turn
  // Signs the line if it is a plain event (else the pipeline's key); not owned.
  const ledger::SigningKey* key = nullptr;
};

// A line made ready for StagePrepared (PrepareImportLine).
struct PreparedImportLine {
  uint64_t line_no = 0;
  std::string text;
  const ledger::SigningKey* key = nullptr;  // a plain line's key, if any
  bool skip = false;                        // blank or comment
  Status status;                            // refused while preparing (read error, decoding)
  std::string id;                           // the event id, once known
  bool decoded = false;                     // prepared.event holds the event
  bool is_signed = false;                   // a signed line: prepared.signer, .signature
  bool encoded = false;                     // prepared.entry holds its entry
  // Not encoded because its signer (a signed line's name, a plain line's key) was not
  // an active key of the registry it was prepared against: FinishPreparedLine again
  // once the ledger knows it (keys enrolled by the lines just before).
  bool signer_unknown = false;
  PreparedEvent prepared;
};

// Decodes `line` and signs it (a plain line, with line.key or `default_key`, when
// `keys` knows that key as active) or checks its author's signature (a signed line,
// against the key enrolled under its signer's name in `keys`). What `keys` does not
// know is left to the ledger, in order. Any thread; `keys` is a snapshot of the
// registry (an older one is fine: StagePrepared checks the signer again, in order).
PreparedImportLine PrepareImportLine(ImportLine line, const ledger::KeyRegistry& keys,
                                     const ledger::SigningKey* default_key,
                                     std::string_view origin);

// The second half of PrepareImportLine, for a decoded line whose signer was unknown
// (line.signer_unknown): against `keys`, a newer registry. Any thread.
void FinishPreparedLine(PreparedImportLine& line, const ledger::KeyRegistry& keys,
                        std::string_view origin);

// Whether `keys` knows the signer of a line prepared with signer_unknown.
bool SignerKnown(const PreparedImportLine& line, const ledger::KeyRegistry& keys);

// Stages a prepared line (not a skipped one) in `appender`: its refusal, or where it
// stands. On the appender's thread, in the order of the lines.
Result<ledger::Appended> StagePrepared(EventAppender& appender, const PreparedImportLine& line);

// The event id of a line the decoder refused, when its JSON (or its signed form's
// `event`) has a valid one; else "" (a refused line is reported with its own id).
std::string IdOfRefusedLine(std::string_view line);

class ImportPipeline {
 public:
  struct Options {
    // Signs the plain lines that bring no key of their own; null: such a line is
    // refused (USAGE), signed lines need none.
    const ledger::SigningKey* key = nullptr;
    size_t group_commit = 1000;  // new records per synced write
    size_t chunk = 1024;         // lines read and prepared together
    unsigned threads = 0;        // worker threads; 0: one per core
  };
  // A line's result, once durable.
  struct LineResult {
    uint64_t line_no = 0;
    std::string id;
    ledger::Appended appended;
  };
  // Why the import stopped early (status OK: it did not).
  struct Refusal {
    Status status;
    uint64_t line = 0;       // the refused line; for a failed write, the first not written
    uint64_t last_line = 0;  // a failed write: the last line not written (else 0)
    std::string id;          // that line's event id, if known
  };
  // Appends up to `max` lines to `lines`; false when no line follows them (the end,
  // or a line that could not be read, which is then the last one given). A call that
  // appends no line ends the input.
  using Source = std::function<bool(std::vector<ImportLine>& lines, size_t max)>;
  // Called with the results of the lines of each group commit, in order, once it is
  // durable.
  using Sink = std::function<void(const std::vector<LineResult>& results)>;

  // `projector` (may be null) is reloaded when a write fails (its state had folded
  // records that were not written); it must be Install()ed on `appender`. The keys
  // (options.key, ImportLine::key) must outlive the pipeline.
  ImportPipeline(ledger::Ledger& ledger, EventAppender& appender, Projector* projector,
                 Options options);
  ~ImportPipeline();
  ImportPipeline(const ImportPipeline&) = delete;
  ImportPipeline& operator=(const ImportPipeline&) = delete;

  // Takes every line `source` gives, in order, up to the first refused one; every line
  // answered to `sink` is durable. The lines before a refused line are committed (if
  // that write fails, the refusal names its first line instead).
  Refusal Run(const Source& source, const Sink& sink);

  // Lines read so far.
  uint64_t lines_read() const { return lines_read_; }
  // Lines finished again on the workers because a key they needed was enrolled by a
  // line before them after they were prepared (PreparedImportLine::signer_unknown).
  uint64_t lines_prepared_again() const { return lines_prepared_again_; }

 private:
  class Workers;
  struct Chunk;

  ledger::Ledger& ledger_;
  EventAppender& appender_;
  Projector* projector_;
  Options options_;
  std::string origin_;
  std::unique_ptr<Workers> workers_;
  uint64_t lines_read_ = 0;
  uint64_t lines_prepared_again_ = 0;
};

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_IMPORT_PIPELINE_H_
