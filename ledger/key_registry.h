// KeyRegistry: who may sign, as of one point of the ledger. It is a fold of the
// "key.enrolled" / "key.revoked" records applied in ledger order: an enrolment or a
// revocation takes effect from its own record on, whatever business dates say.
//
// The rules here are the ledger's generic ones (the programme's roles are checked
// above the ledger):
//   - the first key record of a ledger (genesis) enrols the key that signs it, with
//     role "admin" (bootstrap);
//   - afterwards every record must be signed by an enrolled, non-revoked key
//     (Status::PermissionDenied, UNAUTHORIZED), and key records by one having role
//     "admin";
//   - enrolling a name that exists (even revoked), or a public key active under
//     another name -> Status::AlreadyExists("KEY_CONFLICT") with the enrolment's seq;
//   - revoking an unknown or already revoked name -> Status::NotFound("UNKNOWN_KEY").
// Signatures are not checked here: the caller verifies a record's signature with the
// key Signer() returns before applying it.
//
// Thread-safety: a value type. Const methods may be called concurrently; Apply needs
// exclusive access.
#ifndef ESMS_LEDGER_KEY_REGISTRY_H_
#define ESMS_LEDGER_KEY_REGISTRY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/keys.h"
#include "ledger/record.h"

namespace esms::ledger {

inline constexpr std::string_view kAdminRole = "admin";
inline constexpr std::string_view kKeyConflict = "KEY_CONFLICT";
inline constexpr std::string_view kUnknownKey = "UNKNOWN_KEY";

struct KeyInfo {
  std::string name;
  PublicKey key{};
  std::vector<std::string> roles;
  std::vector<std::string> regions;
  uint64_t enrolled_seq = 0;
  std::optional<uint64_t> revoked_seq;

  bool active() const { return !revoked_seq.has_value(); }
  bool HasRole(std::string_view role) const;
  bool HasRegion(std::string_view region) const;
};

// True for "key.enrolled" and "key.revoked".
bool IsKeyRecordType(std::string_view type);
// Key names: 1-64 chars of [A-Za-z0-9._@-].
bool IsValidKeyName(std::string_view name);

class KeyRegistry {
 public:
  // Whether `record` may come next: its signer is an active key (or, for the very
  // first key record, the key it enrols), and a key record is signed by an admin and
  // follows the registry rules. Changes nothing.
  Status Check(const Record& record) const;
  // Check(), then the record takes effect (nothing changes when Check() refuses).
  // Records that are not key records only get their signer checked.
  Status Apply(const Record& record);

  // The key that may sign as `name` now: enrolled and not revoked; UNAUTHORIZED otherwise.
  Result<const KeyInfo*> Signer(std::string_view name) const;
  // The active key with this public key, or nullptr.
  const KeyInfo* FindActive(const PublicKey& key) const;
  // The key enrolled as `name` (revoked or not), or nullptr.
  const KeyInfo* Find(std::string_view name) const;

  // Every key ever enrolled, by name.
  const std::map<std::string, KeyInfo, std::less<>>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

 private:
  Status CheckKeyRecord(const Record& record) const;

  std::map<std::string, KeyInfo, std::less<>> keys_;
  std::map<PublicKey, std::string> active_by_key_;
};

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_KEY_REGISTRY_H_
