// Who may read what over the network (INTERFACE.md §6, issue 15): the challenge that
// authenticates a connection with an enrolled key, and the pure decisions the server
// takes before answering a read. docs/access.md is the reference, command by command.
//
// 1. Authentication. The server sends a fresh 32-byte nonce; the client signs, with its
//    Ed25519 key, AuthChallengeMessage(origin, nonce, key name): a fixed context string,
//    then the three fields, each length-prefixed. The message can be neither an event
//    statement (those are canonical Cap'n Proto messages, whose first 4 bytes are 0:
//    docs/format.md §2) nor a signed note or a cosignature (those are text with no
//    control character but "\n": docs/format.md §6; this message holds NUL bytes); and
//    since it holds the ledger's origin and the nonce, it cannot be replayed to another
//    ledger or on another connection. The server checks it against the key enrolled
//    under that name at the head of the ledger: an unknown or revoked key, a bad
//    signature -> UNAUTHORIZED. A Challenge object accepts exactly one answer.
//
// 2. Read scoping (MayRead). `national` and `auditor` read everything; `porteur` the
//    projects whose project.submitted its key signed (the only link between a key and a
//    project the ledger proves: key.enrolled carries no FINESS EJ); an ARS role
//    (`ars-instructor`, `ars-payer`) the projects with an establishment in one of its
//    regions, and the whole ledger's indicator (`report active-dui`); anyone, anonymous
//    included, the public reads (checkpoints, proofs, tiles,
//    rules). A refusal is PermissionDenied (UNAUTHORIZED) naming the key, its roles and
//    what was refused; for a key that does not see everything, an unknown project gets
//    the very same refusal as a project it may not read, so a refusal never tells
//    whether a project exists.
//
// Thread-safety: free functions are pure (NewNonce reads the OS random source) and may be
// called from any thread. A Challenge may be answered from several threads at once:
// exactly one answer is checked.
#ifndef ESMS_SERVICE_ACCESS_H_
#define ESMS_SERVICE_ACCESS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "projections/report.h"
#include "projections/rules.h"
#include "projections/state.h"

namespace esms::service {

// ---- 1. Authentication ----

// The domain separation prefix of a challenge answer (NUL-terminated in the message).
inline constexpr std::string_view kAuthContext = "esms-ledger/auth-challenge/v1";
inline constexpr size_t kNonceSize = 32;
// How long a challenge may wait for its answer.
inline constexpr std::chrono::seconds kChallengeTtl{60};

// Who is reading: an enrolled key as the ledger's head says it stands, or nobody.
struct Identity {
  std::string key_name;  // empty: anonymous (public reads only)
  std::vector<std::string> roles;
  std::vector<std::string> regions;  // INSEE codes (ARS roles act in them)
  uint64_t enrolled_seq = 0;

  static Identity Anonymous() { return {}; }
  bool anonymous() const { return key_name.empty(); }
  bool HasRole(std::string_view role) const;
  bool HasRegion(std::string_view region) const;
  // National and auditor: every project, the log, every region of the report.
  bool SeesEverything() const;
  // "key 'ars-bzh' (ars-instructor)", "anonymous connection": for messages and logs.
  std::string Describe() const;
};

// 32 bytes from the OS random source (libsodium's randombytes_buf, which cannot fail).
ledger::Bytes NewNonce();

// The bytes a client signs to answer a challenge:
//   kAuthContext || 0x00 || u32be(|origin|) || origin || u32be(|nonce|) || nonce
//   || u32be(|key_name|) || key_name
// (length prefixes make the framing unambiguous whatever the fields hold).
std::string AuthChallengeMessage(std::string_view origin, ledger::ByteView nonce,
                                 std::string_view key_name);

// Client side: `key`'s signature of AuthChallengeMessage(origin, nonce, key_name).
ledger::Signature SignChallenge(const ledger::SigningKey& key, std::string_view origin,
                                ledger::ByteView nonce, std::string_view key_name);

// The identity of the key enrolled as `key_name` at the head `keys` reflects.
// PermissionDenied (UNAUTHORIZED) when it is unknown, revoked or not a valid key name.
// The server calls it again before each read, so that a key revoked while its
// connection is open reads nothing more.
Result<Identity> IdentityOf(const ledger::KeyRegistry& keys, std::string_view key_name);

// Server side, one answer: the nonce must be kNonceSize bytes and `signature` must
// verify, with the public key enrolled as `key_name` in `keys`, over
// AuthChallengeMessage(origin, nonce, key_name). PermissionDenied (UNAUTHORIZED) otherwise,
// naming the key and why. Does not know whether the nonce was used before: Challenge does.
Result<Identity> Authenticate(const ledger::KeyRegistry& keys, std::string_view origin,
                              ledger::ByteView nonce, std::string_view key_name,
                              const ledger::Signature& signature);

// One connection's challenge: a fresh nonce, answered at most once, within `ttl`.
// Every answer after the first (accepted or refused) is refused: a client that got it
// wrong asks for a new challenge. Not copyable nor movable (it holds the spent flag).
class Challenge {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Challenge(Clock::time_point now = Clock::now(),
                     std::chrono::seconds ttl = kChallengeTtl);
  Challenge(const Challenge&) = delete;
  Challenge& operator=(const Challenge&) = delete;

  // What the server sends the client.
  ledger::ByteView nonce() const { return nonce_; }

  // The answer: Authenticate() against this challenge's nonce. UNAUTHORIZED when the
  // challenge was already answered or has expired.
  Result<Identity> Answer(const ledger::KeyRegistry& keys, std::string_view origin,
                          std::string_view key_name, const ledger::Signature& signature,
                          Clock::time_point now = Clock::now());
  // The same when the protocol has the client echo the nonce it signed: it must equal
  // this challenge's nonce (compared in constant time).
  Result<Identity> Answer(const ledger::KeyRegistry& keys, std::string_view origin,
                          ledger::ByteView echoed_nonce, std::string_view key_name,
                          const ledger::Signature& signature, Clock::time_point now = Clock::now());

  bool spent() const { return spent_.load(); }

 private:
  ledger::Bytes nonce_;
  Clock::time_point expires_;
  std::atomic<bool> spent_{false};
};

// ---- 2. Read scoping ----

// The reads a server answers (INTERFACE.md §2), as MayRead tells them apart.
enum class ReadKind {
  // Public: anyone, anonymous included.
  kCheckpoint,   // `checkpoint` (print the latest kept), GET /checkpoint
  kProve,        // `prove SEQ [--format tlog-proof]`: hashes only
  kConsistency,  // `consistency OLD NEW`
  kTileHashes,   // GET /tile/<L>/<N>: hashes only
  kRules,        // `rules [CAMPAIGN]`: the rulebook, no ledger data
  // GET /tile/entries/<N>: the records themselves. Public as INTERFACE.md §6 says
  // ("tiles are public") unless ReadPolicy::public_tile_entries is false; then as kLog.
  kTileEntries,
  // One project (ReadTarget::projects holds it).
  kState,           // `state PROJECT`
  kCheck,           // `check PROJECT [--at]`
  kHistoryProject,  // `history PROJECT`
  kBundle,          // `bundle PROJECT`
  // One establishment, followed through its FINESS changes (`history FINESS`).
  kHistoryFiness,
  // The PNRR indicator, whole or over some regions (ReadTarget::regions).
  kReportActiveDui,  // `report active-dui`
  kReportBundle,     // `report active-dui --bundle`
  // Every record.
  kLog,     // `log [--from] [--to]`
  kVerify,  // `verify`: a full pass over the ledger
};
// "state", "history", "report active-dui", "tile entries", ...
std::string_view ToString(ReadKind kind);
bool IsPublic(ReadKind kind);

// A project as MayRead needs it.
struct ProjectScope {
  std::string project;
  std::string owner;              // the key that signed its project.submitted ("" unknown)
  std::set<std::string> regions;  // of all its establishments (submission and extensions)
};

// What a read would show.
struct ReadTarget {
  ReadKind kind = ReadKind::kCheckpoint;
  // What the client named (project id, FINESS, "seqs 3-9"...), for the refusal message.
  std::string subject;
  // False for an unknown project or FINESS: a key that sees everything is let through
  // (the read then answers UNKNOWN_PROJECT / NOT_FOUND); any other gets the refusal it
  // would get for a project it may not read.
  bool exists = true;
  // kState..kBundle: the project; kHistoryFiness: every project listing a number of
  // the establishment's lineage.
  std::vector<ProjectScope> projects;
  // kHistoryFiness: the establishment's region(s); kReport*: the regions the report
  // covers (empty: all of them).
  std::set<std::string> regions;
};

struct ReadPolicy {
  // INTERFACE.md §6: "proofs, checkpoints and tiles are public". Entry tiles hold every
  // record, so with true the records are public and read scoping limits the server's
  // computed views, not what a determined reader can learn (docs/access.md).
  bool public_tile_entries = true;
};

// OK when `who` may read `target`; else PermissionDenied (UNAUTHORIZED) with a message
// naming the key, its roles and the read refused, to be logged by the server and sent
// to the client. Never NotFound: whether the target exists is the read's own business.
Status MayRead(const Identity& who, const ReadTarget& target, const ReadPolicy& policy = {});

// True when `who` may read this project (the rule MayRead applies to it).
bool MayReadProject(const Identity& who, const ProjectScope& project);

// ---- Targets built from the state (for the server) ----

// The scope of project `id` (nullopt when unknown). `signer_of` gives the key that
// signed a record (projections::LedgerSigners(ledger)).
std::optional<ProjectScope> ProjectScopeOf(const projections::ProgrammeState& state,
                                           const projections::SignerLookup& signer_of,
                                           std::string_view id);
// `state`, `check`, `history PROJECT`, `bundle` of project `id` (exists = false when unknown).
ReadTarget ProjectTarget(ReadKind kind, const projections::ProgrammeState& state,
                         const projections::SignerLookup& signer_of, std::string_view id);
// `history KEY`: a project's target when `key` names a project, else the establishment
// `key` with every project listing a number of its lineage and its region (as those
// projects list it, and from its FINESS département); exists = false when `key` is
// neither a project nor a FINESS with records.
ReadTarget HistoryTarget(const projections::ProgrammeState& state,
                         const projections::SignerLookup& signer_of, std::string_view key);
// The report `who` would read: the whole ledger's figure (regions empty) for every
// reader (national, auditor, ARS roles: the indicator is public programme data,
// docs/access.md §2); MayRead refuses a porteur and an anonymous connection. `kind` is
// kReportActiveDui or kReportBundle.
ReadTarget ActiveDuiTarget(const Identity& who, ReadKind kind = ReadKind::kReportActiveDui);
// `report` restricted to the establishments of `regions` (their region from the FINESS
// département, as the report's own `--by region` groups them): evidence, total,
// establishment count and the --by groups recomputed. Unchanged when `regions` is empty.
// (The server does not restrict the report it serves: kept for a report of some
// regions.)
projections::ActiveDuiReport RestrictActiveDui(const projections::ActiveDuiReport& report,
                                               const std::set<std::string>& regions);

}  // namespace esms::service

#endif  // ESMS_SERVICE_ACCESS_H_
