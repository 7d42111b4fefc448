// The Cap'n Proto side of the event codec (domain/events.capnp): typed event
// data to canonical payload bytes and back. Private to domain/; the public
// entry points are EncodePayload / DecodePayload in domain/event_codec.h.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_EVENT_CAPNP_H_
#define ESMS_DOMAIN_INTERNAL_EVENT_CAPNP_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "domain/events.h"
#include "base/status.h"

namespace esms::domain::internal {

// Payloads larger than this are refused on decode (the ledger's own limit is 4
// MiB).
inline constexpr size_t kMaxPayloadBytes = size_t{4} << 20;

Result<std::vector<uint8_t>> EncodeCapnpPayload(const EventData& data);
// `check_canonical` false skips the canonical-form checks (isCanonical and the
// re-encoding): only for bytes this program encoded and kept under its own
// integrity check (DecodeTrustedPayload).
Result<EventData> DecodeCapnpPayload(std::string_view type,
                                     std::span<const uint8_t> payload,
                                     bool check_canonical = true);

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_EVENT_CAPNP_H_
