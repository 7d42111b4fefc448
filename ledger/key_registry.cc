#include "ledger/key_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace esms::ledger {

bool KeyInfo::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool KeyInfo::HasRegion(std::string_view region) const {
  return std::find(regions.begin(), regions.end(), region) != regions.end();
}

bool IsKeyRecordType(std::string_view type) {
  return type == kKeyEnrolledType || type == kKeyRevokedType;
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

Result<const KeyInfo*> KeyRegistry::Signer(std::string_view name) const {
  const KeyInfo* info = Find(name);
  if (info == nullptr) {
    return Status::PermissionDenied(fmt::format("key '{}' is not enrolled", name));
  }
  if (!info->active()) {
    return Status::PermissionDenied(
               fmt::format("key '{}' was revoked at seq {}", name, *info->revoked_seq))
        .WithConflicts({*info->revoked_seq});
  }
  return info;
}

const KeyInfo* KeyRegistry::FindActive(const PublicKey& key) const {
  auto it = active_by_key_.find(key);
  return it == active_by_key_.end() ? nullptr : Find(it->second);
}

const KeyInfo* KeyRegistry::Find(std::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

Status KeyRegistry::Check(const Record& record) const {
  if (keys_.empty()) {
    // Bootstrap: the first record enrols, as admin, the key that signs it.
    if (record.type != kKeyEnrolledType) {
      return Status::PermissionDenied(fmt::format(
          "no key is enrolled yet: the first record must be a {} of an admin", kKeyEnrolledType));
    }
    ASSIGN_OR_RETURN(KeyEnrolment k, DecodeKeyEnrolled(record.payload));
    if (k.name != record.signer || !std::count(k.roles.begin(), k.roles.end(), kAdminRole)) {
      return Status::PermissionDenied(
          "the first record must enrol its own signer with role \"admin\"");
    }
    return CheckKeyRecord(record);
  }
  ASSIGN_OR_RETURN(const KeyInfo* signer, Signer(record.signer));
  if (!IsKeyRecordType(record.type)) return Status::OK();
  if (!signer->HasRole(kAdminRole)) {
    return Status::PermissionDenied(
        fmt::format("key '{}' lacks role \"admin\" needed for {}", signer->name, record.type));
  }
  return CheckKeyRecord(record);
}

Status KeyRegistry::CheckKeyRecord(const Record& record) const {
  if (record.type == kKeyEnrolledType) {
    ASSIGN_OR_RETURN(KeyEnrolment k, DecodeKeyEnrolled(record.payload));
    if (!IsValidKeyName(k.name)) {
      return Status::BadInput(
          fmt::format("key name '{}' is not 1-64 chars of [A-Za-z0-9._@-]", k.name));
    }
    for (const auto* list : {&k.roles, &k.regions}) {
      for (const std::string& value : *list) {
        if (value.empty()) return Status::BadInput("key roles and regions may not be empty");
      }
    }
    if (const KeyInfo* existing = Find(k.name)) {
      return Status::AlreadyExists(
                 kKeyConflict, fmt::format("key name '{}' was already enrolled at seq {}", k.name,
                                           existing->enrolled_seq))
          .WithConflicts({existing->enrolled_seq});
    }
    if (const KeyInfo* same_key = FindActive(k.public_key)) {
      return Status::AlreadyExists(
                 kKeyConflict, fmt::format("this public key is already enrolled as '{}' (seq {})",
                                           same_key->name, same_key->enrolled_seq))
          .WithConflicts({same_key->enrolled_seq});
    }
    return Status::OK();
  }
  if (record.type == kKeyRevokedType) {
    ASSIGN_OR_RETURN(KeyRevocation k, DecodeKeyRevoked(record.payload));
    const KeyInfo* existing = Find(k.name);
    if (existing == nullptr) {
      return Status::NotFound(kUnknownKey, fmt::format("no key is enrolled as '{}'", k.name));
    }
    if (!existing->active()) {
      return Status::NotFound(kUnknownKey, fmt::format("key '{}' was already revoked at seq {}",
                                                       k.name, *existing->revoked_seq))
          .WithConflicts({*existing->revoked_seq});
    }
    return Status::OK();
  }
  return Status::OK();
}

Status KeyRegistry::Apply(const Record& record) {
  RETURN_IF_ERROR(Check(record));
  if (record.type == kKeyEnrolledType) {
    ASSIGN_OR_RETURN(KeyEnrolment k, DecodeKeyEnrolled(record.payload));
    KeyInfo info{k.name,     k.public_key, std::move(k.roles), std::move(k.regions),
                 record.seq, std::nullopt};
    active_by_key_[info.key] = info.name;
    std::string name = info.name;
    keys_.emplace(std::move(name), std::move(info));
  } else if (record.type == kKeyRevokedType) {
    ASSIGN_OR_RETURN(KeyRevocation k, DecodeKeyRevoked(record.payload));
    auto it = keys_.find(k.name);
    it->second.revoked_seq = record.seq;
    active_by_key_.erase(it->second.key);
  }
  return Status::OK();
}

}  // namespace esms::ledger
