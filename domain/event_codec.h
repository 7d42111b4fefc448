// The event codec: JSON text in (one line of a JSON Lines batch, strictly checked), canonical
// Cap'n Proto payload bytes for the ledger, and JSON text out.
//
// Strictness (INTERFACE.md §1): ParseEvent accepts one JSON object with exactly the fields `id`,
// `type`, `at`, optional `expectedVersion`, and `data` with the fields of its type, nothing else.
// Every refusal names the JSON path of the field at fault ("data.establishments[3].finess:
// missing") and carries the public error code:
// - BAD_INPUT (exit 2): JSON syntax, trailing text, a duplicate key, an unknown or missing field,
//   a wrong JSON type, a number with a fraction or an exponent (1.0, 1e2) or a negative number
//   where an integer count or Cents amount is expected, a bad date, a value outside a closed
//   vocabulary (the allowed values are listed), an unknown type (the types are listed), a bad
//   id, an unknown region, and the shape checks of ValidateEventData (domain/events.h);
// - FINESS_INVALID / SIRET_INVALID / UNKNOWN_CAMPAIGN / DUPLICATE_FINESS (exit 3): a well-formed
//   string that is not a valid number or campaign, a FINESS listed twice.
//
// Payloads are the canonical encoding (capnp::canonicalize) of domain/events.capnp: one event
// has one byte form. key.enrolled / key.revoked are parsed and validated here but have no
// payload of the domain: the ledger encodes them in its own schema.
//
// Thread-safety: pure functions; safe from any thread.
#ifndef ESMS_DOMAIN_EVENT_CODEC_H_
#define ESMS_DOMAIN_EVENT_CODEC_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "domain/events.h"

namespace esms::domain {

// One JSON object (one line of a JSON Lines batch) -> a validated Event, with its stream (StreamOf)
// filled in. `parse` (base/json.h): anything but the default only for tests comparing the parsers.
Result<Event> ParseEvent(std::string_view json_text,
                         base::JsonParse parse = base::JsonParse::kFastThenExact);

// The canonical Cap'n Proto bytes of `data`: deterministic (the same data gives the same bytes).
// Status::Internal("key records are encoded by the ledger") for KeyEnrolled / KeyRevoked. `data` is
// encoded as it is, not validated.
Result<std::vector<uint8_t>> EncodePayload(const EventData& data);

// The data of a record of type `type` from its payload. Status::DataLoss (CORRUPTION) when the
// bytes are not the canonical encoding of a valid value of that type (a malformed or truncated
// message, an invalid FINESS, an unknown enumerant, ...) or the type is unknown; Status::Internal
// for the ledger-owned key types. Never throws.
Result<EventData> DecodePayload(std::string_view type, std::span<const uint8_t> payload);

// As DecodePayload, without the canonical-form checks (isCanonical and the re-encoding that
// DecodePayload does to refuse a second byte form): for bytes this program encoded itself with
// EncodePayload and kept under its own integrity check (a projection snapshot's digest), never for
// bytes read from records. Still DataLoss for a malformed message or an invalid value.
Result<EventData> DecodeTrustedPayload(std::string_view type, std::span<const uint8_t> payload);

// The compact JSON object text of `data`, with the INTERFACE.md field names: integers as integers,
// dates as "YYYY-MM-DD", optional fields only when present.
std::string DataToJson(const EventData& data);

// The whole event as a JSON object: id, type, at, expectedVersion (when present), data.
// ParseEvent(EventToJson(e)) gives back e for any valid e.
std::string EventToJson(const Event& event);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_EVENT_CODEC_H_
