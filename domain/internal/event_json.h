// The JSON side of the event codec: one strict JSON object -> a validated
// Event, and typed events -> compact JSON. Private to domain/; the public entry
// points are ParseEvent / DataToJson / EventToJson in domain/event_codec.h.
//
// Thread-safety: pure functions.
#ifndef ESMS_DOMAIN_INTERNAL_EVENT_JSON_H_
#define ESMS_DOMAIN_INTERNAL_EVENT_JSON_H_

#include <string>
#include <string_view>

#include "domain/events.h"
#include "base/status.h"

namespace esms::domain::internal {

Result<Event> ParseEventJson(std::string_view json_text);
std::string DataToJsonText(const EventData& data);
std::string EventToJsonText(const Event& event);

}  // namespace esms::domain::internal

#endif  // ESMS_DOMAIN_INTERNAL_EVENT_JSON_H_
