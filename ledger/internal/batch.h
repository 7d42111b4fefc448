// Private to ledger/: the state of a Ledger::Batch (ledger/ledger.h says what a batch
// does), behind the public class's pointer. Its methods are in ledger/batch.cc.
//
// Thread-safety: as Ledger::Batch; the sealing and writing threads are the Pipeline's.
#ifndef ESMS_LEDGER_INTERNAL_BATCH_H_
#define ESMS_LEDGER_INTERNAL_BATCH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

namespace esms::ledger {

class Ledger::Batch::Impl {
 public:
  explicit Impl(Ledger* ledger);
  ~Impl();  // waits for the submitted writes; drops what was not submitted
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // As Ledger::Batch's.
  Result<Appended> Add(const Entry& entry, const SigningKey& key);
  Result<Appended> AddSigned(const Entry& entry, std::string_view signer,
                             const Signature& signature, const PublicKey* verified_with,
                             const EncodedStatement* statement);
  Status Commit();
  Status Submit();
  Status Flush();
  size_t staged() const { return static_cast<size_t>(size_ - open_first_seq_); }
  uint64_t size() const { return size_; }
  const Hash& head_hash() const;
  const KeyRegistry& keys() const { return registry_; }
  const std::vector<Record>& staged_records() const;
  Result<Record> Get(uint64_t seq);
  Result<std::optional<uint64_t>> FindEventId(std::string_view id);

 private:
  friend class Ledger;  // Create() stages the genesis meta values and signer
  // The sealing and writing threads (ledger/batch.cc).
  class Pipeline;
  // Waits until every staged entry is sealed.
  void Drain() const;
  // Takes the results of finished writes into the ledger, waiting until at most
  // `max_in_flight` remain. The first write error (the batch is then reset).
  Status Reap(size_t max_in_flight);
  struct StreamState {
    uint64_t count = 0;
    std::optional<uint64_t> last_seq;
  };
  Result<StreamState> StreamAt(const std::string& stream);
  Result<std::optional<Record>> RecordWithEventId(const std::string& event_id);
  // Add and AddSigned: signed here by `key`, or by the author (`signature`).
  Result<Appended> AddEntry(const Entry& entry, const SigningKey* key, std::string_view signer,
                            const Signature* signature, const PublicKey* verified_with,
                            const EncodedStatement* statement);
  // Back to the ledger as it is: staged entries dropped, caches cleared.
  void Reset();

  // A submitted run of records whose write is not yet observed done.
  struct InFlight {
    uint64_t end_size = 0;
    KeyRegistry registry;  // as of end_size
  };

  Ledger* ledger_;               // not owned; outlives the batch
  uint64_t base_size_ = 0;       // the ledger size the caches below start from
  uint64_t open_first_seq_ = 0;  // first seq staged since the last Submit
  uint64_t size_ = 0;
  KeyRegistry registry_;
  std::vector<InFlight> in_flight_;
  std::unordered_map<std::string, uint64_t> staged_ids_;  // event id -> seq, not yet reaped
  std::unordered_map<std::string, StreamState> streams_;  // kept across commits
  std::string last_lookup_id_;  // FindEventId's last answer, while size_ is unchanged
  std::optional<uint64_t> last_lookup_seq_;
  uint64_t last_lookup_size_ = UINT64_MAX;
  std::vector<std::pair<std::string, std::string>> meta_puts_;  // Create() only
  std::string bootstrap_signer_;  // Create() only: the genesis key's name
  Status failed_;                 // a write failed: the batch refuses everything after it
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_INTERNAL_BATCH_H_
