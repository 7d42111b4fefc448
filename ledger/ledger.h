// Ledger: the append-only, tamper-evident store of records in one directory (a RocksDB
// database, column families as docs/format.md lists them, plus `ledger.pub`).
//
// Appending seals an entry into a record: numbered, chained to the previous record's
// hash, signed by the enrolled key given, committed to the Merkle tree (the hashes of
// every complete subtree are stored, so roots and proofs cost O(log n) reads) and
// indexed by event id and by stream. A batch of entries shares one synced RocksDB
// write (group commit). Who may sign is itself in the ledger: key.enrolled /
// key.revoked records (KeyRegistry). Verify() re-derives everything from the records
// alone and names the first bad seq.
//
// One process may open a ledger for writing; a second writer gets
// Status::Unavailable (LEDGER_LOCKED) at once. Read-only opens never take the lock.
// Storage errors: I/O or disk full -> Status::IoError (STORAGE_ERROR); checksum
// mismatch or undecodable bytes -> Status::DataLoss (CORRUPTION).
//
// Thread-safety: a Ledger is a resource type (no copy). Const methods may be called
// from several threads at once; Append, NewBatch, Batch methods, MakeCheckpoint and
// PutSnapshot need exclusive access (no concurrent const calls).
#ifndef ESMS_LEDGER_LEDGER_H_
#define ESMS_LEDGER_LEDGER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
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
#include "ledger/record.h"

namespace esms::ledger {

namespace internal {
class Storage;  // RocksDB handles (ledger.cc)
}  // namespace internal

// The stream of the genesis record (and, by convention, of all key records).
inline constexpr std::string_view kProgrammeStream = "programme";
inline constexpr std::string_view kGenesisEventId = "genesis";
// File written by Create() in the ledger directory: the checkpoint verifier key line.
inline constexpr std::string_view kLedgerPubFile = "ledger.pub";
// File written by Create() in the ledger directory when it generates the ledger key
// (PKCS#8 PEM, mode 0600): the key that signs the checkpoints.
inline constexpr std::string_view kLedgerKeyFile = "ledger.key";

// What a caller appends; the ledger adds seq, prevHash, recordedAt, streamVersion,
// signer and signature.
struct Entry {
  std::string event_id;                      // 1-128 chars of [A-Za-z0-9._:/-]
  std::string at;                            // business date YYYY-MM-DD
  std::string stream;                        // 1-256 chars, no control char
  std::optional<uint64_t> expected_version;  // records the stream must already hold
  std::string type;                          // 1-128 chars of [A-Za-z0-9._-]
  Bytes payload;                             // opaque to the ledger (key.* payloads excepted)
};

struct Appended {
  uint64_t seq = 0;
  bool existing = false;  // true: the same event was already recorded at `seq`
};

// Validators shared with callers that want to refuse early (BAD_INPUT messages).
bool IsValidEventId(std::string_view id);
bool IsValidBusinessDate(std::string_view date);  // YYYY-MM-DD, month 01-12, day 01-31

// Backup and restore (Ledger::Backup, BackupDirectory, Restore; ledger/backup.cc,
// docs/operations.md). A backup is a ledger directory of its own: RocksDB's Checkpoint
// of the database (a consistent point in time of every column family: whole commits
// only, since each commit is one atomic write; table files hard-linked when the backup
// is on the same file system, else copied) plus ledger.pub; so `verify --ledger BACKUP`
// checks it as it is. The ledger key is left out unless asked for: it signs the
// checkpoints, and whoever holds a copy of it can sign a forked history that auditors
// would accept; backups usually travel and are kept where the key should not be.
struct BackupOptions {
  // Copy the ledger key too (as ledger.key, mode 0600): from the ledger directory, or
  // the key this ledger was opened with. USAGE when there is none.
  bool include_key = false;
};
struct BackupInfo {
  uint64_t size = 0;       // records in the copy
  Hash root{};             // the copy's Merkle root at that size
  std::string checkpoint;  // the copy's latest signed checkpoint (empty when none)
  bool includes_key = false;
  uint64_t files = 0;  // files in the backup directory
  uint64_t bytes = 0;  // their total size
};
struct RestoreInfo {
  uint64_t size = 0;
  Hash root{};
  std::string origin;
  bool key_in_directory = false;  // the backup held ledger.key: restored with it
  bool writable = false;          // opened for writing with its key before the rename
};

class Ledger {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // What a caller may choose when it creates or opens a ledger.
  struct Options {
    // Microseconds since the Unix epoch, for recordedAt (default, when empty: the
    // system clock). A deterministic clock gives a deterministic ledger, root
    // included (the demo's, the tests').
    std::function<int64_t()> now_micros;
    // The ledger key: it signs a C2SP checkpoint at every commit (INTERFACE.md §6).
    // Create(): when null, a new key is generated and written to dir/ledger.key (mode
    // 0600). Open(kReadWrite): when null, dir/ledger.key is read; a ledger cannot be
    // opened for writing without its key (USAGE), nor with another key (UNAUTHORIZED).
    // Unused by read-only opens.
    std::shared_ptr<const SigningKey> ledger_key;
  };

  // A new ledger in `dir` (absent or empty). Genesis record seq 0: key.enrolled of
  // `admin_name` (roles {"admin"}, regions {}), event id "genesis", stream
  // "programme", signed by `admin`. The ledger key (options.ledger_key, or a new key
  // written to dir/ledger.key) is separate from the admin key: it signs the
  // checkpoints; dir/ledger.pub = VerifierKey(origin, ledger public key) + "\n". The
  // genesis commit carries the first checkpoint (size 1). `origin` is the checkpoint origin line
  // (non-empty, no whitespace, no '+'). The ledger stays open for writing; its clock is
  // options.now_micros from genesis on.
  static Result<std::unique_ptr<Ledger>> Create(const std::filesystem::path& dir,
                                                std::string_view origin,
                                                std::string_view admin_name,
                                                const SigningKey& admin, Options options = {});
  // Opens an existing ledger. NotFound (NOT_FOUND) if `dir` is not a ledger;
  // Unavailable (LEDGER_LOCKED) if another writer holds it (kReadWrite only).
  static Result<std::unique_ptr<Ledger>> Open(const std::filesystem::path& dir, Mode mode,
                                              Options options = {});

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Group commit. A Batch stages entries in memory, each sealed (chained, signed,
  // Merkle nodes computed, indexed) and visible to the batch's later Add()s (ids,
  // stream versions, keys, chain); Commit() writes them all in one synced RocksDB
  // write. Nothing is visible to the Ledger until Commit(). One batch at a time: a
  // batch whose base was changed by another commit refuses to commit (Aborted).
  //
  // Pipelined: Add() checks an entry and encodes it; a sealing thread signs the
  // entries in order (the only serial work: each record's signed bytes hold the hash
  // of the previous one); Submit() hands the entries staged so far to a writing thread
  // (Merkle nodes, one synced write) and returns at once, so that the next entries are
  // checked, signed and written while it is on its way to disk. Flush() waits until
  // every submitted write is durable. Commit() = Submit() then Flush().
  class Batch {
   public:
    // Checks, in order: the event id (BAD_INPUT) and the other entry fields;
    // idempotency (same id and same type/at/stream/payload -> {that seq, existing},
    // nothing staged; other content -> AlreadyExists EVENT_ID_CONFLICT with conflicts
    // {that seq}); the signer: the enrolled, non-revoked key whose public key is
    // key.public_key() (else PermissionDenied UNAUTHORIZED); key records: admin role
    // and registry rules (KeyRegistry); expected_version vs the stream's current count
    // (Aborted VERSION_CONFLICT with conflicts {last seq of the stream if any}).
    // A refusal leaves the batch as it was. After a failed write (see Commit) the
    // batch returns that error from every call: make a new one. The entry is sealed on a thread of
    // the batch while the next ones are checked, so `key` must outlive the next Commit() or Flush()
    // (or the batch); staged_records() and head_hash() wait for the sealing. A write error of an
    // earlier Submit() is returned here (and the batch is reset).
    Result<Appended> Add(const Entry& entry, const SigningKey& key);
    // An entry its author signed elsewhere (`sign`, INTERFACE.md §6): `signer` names
    // the enrolled key, `signature` is its Ed25519 signature of the entry's statement
    // (this ledger's origin, the entry, the signer's name: ledger/record.h). Checked as
    // Add() checks, the signer being the key enrolled as `signer` at this point of the
    // ledger (unknown or revoked: PermissionDenied UNAUTHORIZED), then the signature
    // against that key (UNAUTHORIZED "does not verify": altered after signing, signed
    // for another ledger or by another key). When `verified_with` is the public key
    // enrolled as `signer`, the caller has checked the signature against it (on another
    // thread): it is not checked again. Nothing is staged on a refusal.
    // `statement`, when given, is the entry's statement as EncodeStatement made it (on
    // the thread that signed or checked it): its bytes are stored as they are when its
    // fields are this entry's, this ledger's origin and `signer` (else the statement is
    // encoded again), so the batch's thread does not encode it a second time.
    Result<Appended> AddSigned(const Entry& entry, std::string_view signer,
                               const Signature& signature, const PublicKey* verified_with = nullptr,
                               const EncodedStatement* statement = nullptr);
    // Writes everything staged (WriteOptions.sync = true) and waits for it, and for
    // every earlier Submit(). On success the ledger sees the records and the batch is
    // empty again, ready for more. On error nothing of the failed write (nor of the
    // writes submitted after it) is in the ledger, the entries staged are dropped and
    // the batch returns that error from then on (nothing it acknowledged is lost).
    Status Commit();
    // Starts the synced write of everything staged and returns without waiting (at
    // most two writes are in flight: a third waits for the oldest). The ledger (size,
    // Get, ...) sees the records once Flush() (or a later Add/Submit) has observed the
    // write done. Refusals of Commit (stale batch) are returned here; a write error of
    // an earlier Submit() too.
    Status Submit();
    // Waits until every submitted write is durable; the first write error, if any
    // (then the batch is reset to the ledger as it is on disk).
    Status Flush();
    // Entries staged since the last Submit/Commit.
    size_t staged() const;
    // The ledger size the batch would leave, its head hash and key registry.
    uint64_t size() const;
    const Hash& head_hash() const;
    const KeyRegistry& keys() const;
    // The records staged since the last Submit/Commit, in order.
    const std::vector<Record>& staged_records() const;
    // The record `seq`, staged, being written or in the ledger (waits for the sealing
    // or the write it belongs to).
    Result<Record> Get(uint64_t seq);
    // The seq of the event id, staged, being written or in the ledger. The answer for
    // the last id asked is kept for the Add() of that id that usually follows.
    Result<std::optional<uint64_t>> FindEventId(std::string_view id);

    ~Batch();  // waits for the submitted writes; drops what was not submitted
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    friend class Ledger;
    class Impl;  // the batch's state and pipeline (ledger/internal/batch.h)
    explicit Batch(Ledger* ledger);
    std::unique_ptr<Impl> impl_;
  };

  std::unique_ptr<Batch> NewBatch();
  // A one-entry batch, committed unless the entry already existed.
  Result<Appended> Append(const Entry& entry, const SigningKey& key);

  uint64_t size() const { return size_; }
  Hash head_hash() const { return head_; }
  const std::string& origin() const { return origin_; }
  const PublicKey& ledger_key() const { return ledger_key_; }
  // VerifierKey(origin, ledger key): the line of ledger.pub, without "\n".
  std::string verifier_key() const;
  const std::filesystem::path& dir() const { return dir_; }
  Mode mode() const { return mode_; }

  // NotFound (NOT_FOUND) if seq >= size(); DataLoss if the stored bytes are bad.
  Result<Record> Get(uint64_t seq) const;
  // Calls fn for each record with from <= seq < min(to_exclusive, size()), in order;
  // stops at the first non-OK status (returned).
  Status Scan(uint64_t from, uint64_t to_exclusive,
              const std::function<Status(const Record&)>& fn) const;
  Result<std::optional<uint64_t>> FindEventId(std::string_view id) const;
  // Seqs of the stream's records, by stream version.
  Result<std::vector<uint64_t>> StreamSeqs(std::string_view stream) const;
  // Who may sign, as of the head.
  const KeyRegistry& keys() const { return registry_; }

  // A signed checkpoint note of the current tree, stored under its size. `key` must be
  // the ledger key (else UNAUTHORIZED). Every commit already writes one, so this
  // returns the one kept for the current size when there is one.
  Result<std::string> MakeCheckpoint(const SigningKey& key);
  // The same with the ledger key the ledger was opened with (writable ledgers only).
  Result<std::string> MakeCheckpoint();
  Result<std::optional<std::string>> LatestCheckpoint() const;
  // NotFound (NOT_FOUND) if no checkpoint of that size is kept.
  Result<std::string> CheckpointAt(uint64_t size) const;

  // From the stored subtree hashes; BAD_INPUT beyond size().
  Result<Hash> RootAt(uint64_t size) const;
  Result<std::vector<Hash>> InclusionProof(uint64_t seq, uint64_t size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;
  // The stored hash of the complete subtree (level, index): MTH of the leaves
  // [index << level, (index + 1) << level). BAD_INPUT unless it is complete within size().
  // What tlog-tiles are made of (ledger/tiles.cc).
  Result<Hash> SubtreeHash(int level, uint64_t index) const;

  struct VerifyReport {
    bool ok = false;
    uint64_t size = 0;  // records verified in order from seq 0 (the ledger size when ok)
    Hash root{};        // the root recomputed from those records
    std::optional<uint64_t> first_bad;
    std::string problem;  // "seq 7: signature does not verify with key 'x' as ..."
  };
  // Re-derives everything from the records alone (see docs/format.md "Verification"):
  // decoding and canonical form, seq and no gap, prevHash chain, signatures against
  // the keys as enrolled at each seq, the Merkle tree (every stored node and every
  // stored checkpoint), the indexes and the head. A failed check is a report with
  // ok = false, never an error; errors are for storage that cannot be read at all.
  // `progress(done, total)` is called now and then.
  Result<VerifyReport> Verify(
      const std::function<void(uint64_t done, uint64_t total)>& progress = {}) const;
  // What Verify checks. Without signatures it is a structural verify: decoding and
  // canonical form, seq, chain, key registry rules, Merkle tree, checkpoints, indexes,
  // head (everything but the Ed25519 checks of the records; checkpoint notes are still
  // verified).
  struct VerifyOptions {
    bool check_signatures = true;
  };
  Result<VerifyReport> Verify(
      const VerifyOptions& options,
      const std::function<void(uint64_t done, uint64_t total)>& progress = {}) const;

  // Backup and restore: see BackupOptions above.
  // Writes a backup into `to`, which must not exist or be an empty directory (else
  // USAGE); nothing is half written: the copy is made in a hidden sibling directory,
  // synced, opened and checked, then renamed to `to`. Safe while this process appends:
  // may run between group commits or while a batch's write is in flight (RocksDB's
  // checkpoint takes its own snapshot). A read-only ledger is refused (USAGE): it holds
  // no lock, so another process may be writing; use BackupDirectory. I/O errors:
  // STORAGE_ERROR.
  Result<BackupInfo> Backup(const std::filesystem::path& to,
                            const BackupOptions& options = {}) const;
  // Backup of the ledger in `dir` when no process holds it: opens it for writing (its
  // lock, so no writer runs meanwhile; the ledger key is not needed) just for the copy.
  // LEDGER_LOCKED when another process (a server) holds it: ask that process.
  static Result<BackupInfo> BackupDirectory(const std::filesystem::path& dir,
                                            const std::filesystem::path& to,
                                            const BackupOptions& options = {});
  // Restores the backup in `from` (a directory Backup wrote, or any ledger directory) into
  // `to`, which must not exist or be an empty directory: an existing ledger, or anything
  // else, is never overwritten (USAGE). Files are copied (never linked: the restored
  // ledger shares nothing with the backup) into a hidden sibling, synced, checked (the
  // copy opens, its checkpoint's root is its tree's, ledger.pub is its key), then renamed.
  // The restored ledger is writable with the key the backup held, or with `ledger_key`
  // (checked against the ledger's: UNAUTHORIZED otherwise; not copied into `to`: give it
  // again to the commands that write, as before). NOT_FOUND when `from` is not a ledger.
  static Result<RestoreInfo> Restore(const std::filesystem::path& from,
                                     const std::filesystem::path& to,
                                     std::shared_ptr<const SigningKey> ledger_key = nullptr);

  // Starts writing what the memtables hold to table files without waiting for it (closing
  // the ledger flushes and waits in any case): a writer with more to do before it closes
  // (an import's projection snapshot) lets that work overlap the flush. Read-only: no effect.
  void StartFlush();

  // Projection snapshots: the state bytes of `name` as of `seq` (the caller's
  // convention; at most size()). Not synced: a snapshot lost in a crash is rebuilt.
  Status PutSnapshot(std::string_view name, uint64_t seq, ByteView state);
  Result<std::optional<std::pair<uint64_t, Bytes>>> GetSnapshot(std::string_view name) const;
  // Calls fn(name, seq, state bytes) for every snapshot whose name starts with `prefix`,
  // in name order, in one pass (the bytes are valid during the call only); stops at the
  // first non-OK status (returned). (ledger/reads.cc)
  Status ScanSnapshots(
      std::string_view prefix,
      const std::function<Status(std::string_view name, uint64_t seq, ByteView state)>& fn) const;

  // What a fold of the records needs, read without the checks `verify` makes (no
  // canonical-form check, no hashing): for rebuilding projections, whose input's
  // integrity is what `verify` proves. The views are valid during the call only.
  struct RecordView {
    uint64_t seq = 0;
    std::string_view event_id;
    std::string_view stream;
    std::string_view type;
    std::string_view signer;
    ByteView payload;
  };
  // Like Scan, with RecordViews: the seqs must still be contiguous and each envelope
  // well-formed (else DataLoss naming the seq). (ledger/reads.cc)
  Status ScanViews(uint64_t from, uint64_t to_exclusive,
                   const std::function<Status(const RecordView&)>& fn) const;

 private:
  Ledger(std::filesystem::path dir, Mode mode, std::unique_ptr<internal::Storage> db,
         Options options);
  Status LoadState();
  Status LoadLedgerKey();
  Status CheckWritable() const;
  int64_t NowMicros() const;

  std::filesystem::path dir_;
  Mode mode_;
  std::unique_ptr<internal::Storage> db_;
  std::string origin_;
  PublicKey ledger_key_{};
  std::shared_ptr<const SigningKey> ledger_signer_;  // writable ledgers: signs checkpoints
  uint64_t size_ = 0;
  Hash head_{};
  KeyRegistry registry_;
  std::function<int64_t()> clock_;
  const Batch::Impl* writing_batch_ = nullptr;  // the batch whose writes are in flight, if any
};

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_LEDGER_H_
