#include "projections/appender.h"

#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "domain/event_codec.h"

namespace esms::projections {

Result<ledger::Entry> EntryFromEvent(const domain::Event& event) {
  ledger::Entry entry;
  entry.event_id = event.id;
  entry.at = event.at.ToString();
  entry.stream = event.stream;
  entry.expected_version = event.expected_version;
  entry.type = event.type;
  Status status;
  std::visit(
      [&](const auto& data) {
        using T = std::decay_t<decltype(data)>;
        if constexpr (std::is_same_v<T, domain::KeyEnrolled>) {
          std::vector<std::string> roles, regions;
          for (domain::Role r : data.roles) roles.emplace_back(domain::ToString(r));
          for (const domain::Region& r : data.regions) regions.push_back(r.code());
          entry.payload = ledger::EncodeKeyEnrolled(data.name, data.public_key, roles, regions);
        } else if constexpr (std::is_same_v<T, domain::KeyRevoked>) {
          entry.payload = ledger::EncodeKeyRevoked(data.name, data.reason);
        } else {
          auto payload = domain::EncodePayload(event.data);
          if (payload.ok()) {
            entry.payload = std::move(payload).value();
          } else {
            status = std::move(payload).TakeStatus();
          }
        }
      },
      event.data);
  if (!status.ok()) return status;
  return entry;
}

Result<std::string> RecordDataJson(const ledger::Record& record) {
  if (record.type == ledger::kKeyEnrolledType || record.type == ledger::kKeyRevokedType) {
    return ledger::KeyPayloadToJson(record.type, record.payload);
  }
  ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(record.type, record.payload));
  return domain::DataToJson(data);
}

EventAppender::EventAppender(ledger::Ledger& ledger, const ledger::SigningKey& key)
    : key_(&key), origin_(ledger.origin()), batch_(ledger.NewBatch()) {}

EventAppender::EventAppender(ledger::Ledger& ledger)
    : key_(nullptr), origin_(ledger.origin()), batch_(ledger.NewBatch()) {}

namespace {
Status NoKey() {
  return Status::InvalidArgument("USAGE",
                                 "an event that is not signed needs a key to be signed with: "
                                 "give --key FILE, or sign it with `sign`");
}
}  // namespace

Result<ledger::Appended> EventAppender::Add(std::string_view json_line, std::string* id) {
  if (key_ == nullptr) {
    ASSIGN_OR_RETURN(domain::Event event, domain::ParseEvent(json_line));
    if (id != nullptr) *id = event.id;
    return NoKey();
  }
  return Add(json_line, id, *key_);
}

Result<ledger::Appended> EventAppender::Add(std::string_view json_line, std::string* id,
                                            const ledger::SigningKey& key) {
  ASSIGN_OR_RETURN(domain::Event event, domain::ParseEvent(json_line));
  if (id != nullptr) *id = event.id;
  return AddEvent(event, key);
}

Result<ledger::Appended> EventAppender::AddEvent(const domain::Event& event) {
  if (key_ == nullptr) return NoKey();
  return AddEvent(event, *key_);
}

Result<ledger::Appended> EventAppender::AddSignedEvent(const domain::Event& event,
                                                       std::string_view signer_name,
                                                       const ledger::Signature& signature,
                                                       const ledger::PublicKey* verified_with) {
  ASSIGN_OR_RETURN(ledger::Entry entry, EntryFromEvent(event));
  return AddSigned(event, entry, signer_name, signature, verified_with, nullptr);
}

Result<ledger::Appended> EventAppender::AddPrepared(const PreparedEvent& prepared) {
  return AddSigned(prepared.event, prepared.entry, prepared.signer, prepared.signature,
                   prepared.verified_with ? &*prepared.verified_with : nullptr,
                   prepared.statement ? &*prepared.statement : nullptr);
}

Result<ledger::Appended> EventAppender::AddSigned(const domain::Event& event,
                                                  const ledger::Entry& entry,
                                                  std::string_view signer_name,
                                                  const ledger::Signature& signature,
                                                  const ledger::PublicKey* verified_with,
                                                  const ledger::EncodedStatement* statement) {
  // As AddEvent, the signer being the key enrolled under the name the author gave. The
  // signature is checked before the guard: a forged line is UNAUTHORIZED, whatever it says.
  const ledger::KeyInfo* signer = batch_->keys().Find(signer_name);
  if (signer == nullptr || !signer->active()) {
    return batch_->AddSigned(entry, signer_name, signature, nullptr);  // refused, or existing
  }
  if (verified_with == nullptr || *verified_with != signer->key) {
    ledger::Statement fields{origin_,  entry.event_id,         entry.type,    entry.stream,
                             entry.at, entry.expected_version, entry.payload, signer->name};
    ASSIGN_OR_RETURN(ledger::Bytes statement_bytes, ledger::StatementBytes(fields));
    if (!ledger::VerifyStatementSignature(statement_bytes, signature, signer->key)) {
      return Status::PermissionDenied(fmt::format(
          "the signature does not verify with key '{}' as enrolled at seq {} (the event was "
          "altered after signing, signed for another ledger, or by another key)",
          signer->name, signer->enrolled_seq));
    }
  }
  verified_with = &signer->key;
  if (guard_) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> known, batch_->FindEventId(event.id));
    if (!known.has_value()) RETURN_IF_ERROR(guard_(event, *signer));
  }
  ASSIGN_OR_RETURN(ledger::Appended appended,
                   batch_->AddSigned(entry, signer_name, signature, verified_with, statement));
  if (observer_ && signer != nullptr && !appended.existing) {
    RETURN_IF_ERROR(observer_(event, appended.seq, *signer));
  }
  return appended;
}

Result<ledger::Appended> EventAppender::AddEvent(const domain::Event& event,
                                                 const ledger::SigningKey& key) {
  // The ledger decides who signs (an enrolled, non-revoked key, as of the batch: a
  // revocation staged earlier in it counts); the guard decides what that key may do.
  // An unknown or revoked key is refused by the ledger below.
  const ledger::KeyInfo* signer = batch_->keys().FindActive(key.public_key());
  ASSIGN_OR_RETURN(ledger::Entry entry, EntryFromEvent(event));
  if (guard_ && signer != nullptr) {
    // An event already in the ledger (or the batch) with the same content is not
    // guarded again: it is answered "existing" by the ledger (rerunning a file is
    // safe). The batch keeps this answer for its Add() below: one index lookup.
    ASSIGN_OR_RETURN(std::optional<uint64_t> known, batch_->FindEventId(event.id));
    if (!known.has_value()) RETURN_IF_ERROR(guard_(event, *signer));
  }
  ASSIGN_OR_RETURN(ledger::Appended appended, batch_->Add(entry, key));
  if (observer_ && signer != nullptr && !appended.existing) {
    RETURN_IF_ERROR(observer_(event, appended.seq, *signer));
  }
  return appended;
}

Status EventAppender::Commit() {
  // The batch is empty again after its commit, and keeps its sealing thread.
  return batch_->Commit();
}

Status EventAppender::Submit() { return batch_->Submit(); }

Status EventAppender::Flush() { return batch_->Flush(); }

size_t EventAppender::staged() const { return batch_->staged(); }

Result<ledger::Record> EventAppender::Get(uint64_t seq) const { return batch_->Get(seq); }

}  // namespace esms::projections
