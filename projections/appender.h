// EventAppender: the path of one event from its JSON line to a staged ledger record
// (DESIGN.md "The path of one event"): the domain decodes and validates it, the guard
// checks it against the state (when one is installed), the ledger seals it into the
// current batch. Commit() makes everything staged durable in one synced write.
//
// Also: the JSON text of a record's data, whichever layer owns its payload schema.
//
// Thread-safety: one EventAppender per writer thread; the Ledger it uses must outlive it.
#ifndef ESMS_PROJECTIONS_APPENDER_H_
#define ESMS_PROJECTIONS_APPENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "domain/events.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

namespace esms::projections {

// The ledger entry for a decoded event: its stream, business date, type and canonical
// payload (key records in the ledger's own schema, every other type in the domain's).
Result<ledger::Entry> EntryFromEvent(const domain::Event& event);

// The record's data as a JSON object text (INTERFACE.md §1 field names).
Result<std::string> RecordDataJson(const ledger::Record& record);

// A check run on each decoded event before it is staged: refusal -> nothing staged.
// `signer` is the enrolled key that will sign it.
using EventGuard = std::function<Status(const domain::Event& event, const ledger::KeyInfo& signer)>;
// Called after each new event is staged (not for an existing id), with the seq it got
// and the name of the key that signed it: lets the state follow the batch.
using EventObserver =
    std::function<Status(const domain::Event& event, uint64_t seq, const ledger::KeyInfo& signer)>;

// An event made ready for AddPrepared off the appender's thread (ImportPipeline's
// workers): decoded, its entry and its statement encoded, its signature made (a plain
// event signed with a key) or checked (an event its author signed).
struct PreparedEvent {
  domain::Event event;
  ledger::Entry entry;  // EntryFromEvent(event)
  std::string signer;   // the name the statement gives
  ledger::Signature signature{};
  // The statement (this ledger's origin, `entry`, `signer`) and its bytes, when made.
  std::optional<ledger::EncodedStatement> statement;
  // The key the signature was made with or checked against, if it was.
  std::optional<ledger::PublicKey> verified_with;
};

class EventAppender {
 public:
  EventAppender(ledger::Ledger& ledger, const ledger::SigningKey& key);
  // Without a key of its own: only events signed by their authors (AddSignedEvent) or
  // by a key given to Add/AddEvent are staged; the key-less Add/AddEvent refuse (USAGE).
  explicit EventAppender(ledger::Ledger& ledger);
  EventAppender(const EventAppender&) = delete;
  EventAppender& operator=(const EventAppender&) = delete;

  void SetGuard(EventGuard guard) { guard_ = std::move(guard); }
  void SetObserver(EventObserver observer) { observer_ = std::move(observer); }

  // Decodes, validates, guards and stages one JSON event. `*id` receives the event id
  // as soon as it is known (also when the event is then refused), else stays empty.
  Result<ledger::Appended> Add(std::string_view json_line, std::string* id);
  // Stages an already decoded event.
  Result<ledger::Appended> AddEvent(const domain::Event& event);
  // The same, signed by `key` instead of the appender's own key: events of several
  // signers share one batch and one synced write. `key` must outlive the next Commit().
  Result<ledger::Appended> Add(std::string_view json_line, std::string* id,
                               const ledger::SigningKey& key);
  Result<ledger::Appended> AddEvent(const domain::Event& event, const ledger::SigningKey& key);
  // An event its author signed elsewhere (`sign`): `signer` names the enrolled key and
  // `signature` signs the event's statement (Ledger::Batch::AddSigned). `verified_with`:
  // the key the caller already checked the signature against, if any.
  Result<ledger::Appended> AddSignedEvent(const domain::Event& event, std::string_view signer,
                                          const ledger::Signature& signature,
                                          const ledger::PublicKey* verified_with = nullptr);
  // As AddSignedEvent(prepared.event, prepared.signer, prepared.signature, ...), with
  // what `prepared` already holds not computed again (the signature is checked here
  // only when it was not checked against the key enrolled as its signer).
  Result<ledger::Appended> AddPrepared(const PreparedEvent& prepared);
  // Writes every staged record in one synced batch and waits for it (and for every
  // earlier Submit()): when it returns OK, everything added so far is durable.
  Status Commit();
  // Starts the synced write of every staged record and returns at once: the next
  // events are checked (against the state that already holds these) and signed while
  // it goes to disk. Nothing is durable until Flush() (or Commit()) returns OK: a
  // caller acknowledges the events of a Submit() only then. A write error comes back
  // from a later Submit(), Flush() or Commit(); the batch then holds nothing that was
  // not written, and a projection that folded those events must be reloaded.
  Status Submit();
  // Waits until every submitted write is durable; the first write error, if any.
  Status Flush();
  // Events staged since the last Submit/Commit.
  size_t staged() const;
  // The ledger size once everything staged is written.
  uint64_t size() const { return batch_->size(); }
  // Who may sign, as of the batch (staged records included).
  const ledger::KeyRegistry& keys() const { return batch_->keys(); }
  // The record `seq`, staged in the current batch, being written, or in the ledger.
  Result<ledger::Record> Get(uint64_t seq) const;

 private:
  const ledger::SigningKey* key_;  // null: no key of its own
  std::string origin_;             // the ledger's, named in every statement
  std::unique_ptr<ledger::Ledger::Batch> batch_;
  Result<ledger::Appended> AddSigned(const domain::Event& event, const ledger::Entry& entry,
                                     std::string_view signer_name,
                                     const ledger::Signature& signature,
                                     const ledger::PublicKey* verified_with,
                                     const ledger::EncodedStatement* statement);

  EventGuard guard_;
  EventObserver observer_;
};

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_APPENDER_H_
