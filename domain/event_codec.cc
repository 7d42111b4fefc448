#include "domain/event_codec.h"

#include <utility>
#include <variant>

#include "domain/internal/event_capnp.h"
#include "domain/internal/event_json.h"

namespace esms::domain {
namespace {

template <size_t... I>
std::vector<std::string_view> TypesOf(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, EventData>::kType...};
}

}  // namespace

Result<Event> ParseEvent(std::string_view json_text) {
  return internal::ParseEventJson(json_text);
}

Result<std::vector<uint8_t>> EncodePayload(const EventData& data) {
  return internal::EncodeCapnpPayload(data);
}

Result<EventData> DecodePayload(std::string_view type,
                                std::span<const uint8_t> payload) {
  return internal::DecodeCapnpPayload(type, payload);
}

Result<EventData> DecodeTrustedPayload(std::string_view type,
                                       std::span<const uint8_t> payload) {
  return internal::DecodeCapnpPayload(type, payload, /*check_canonical=*/false);
}

std::string DataToJson(const EventData& data) {
  return internal::DataToJsonText(data);
}

std::string EventToJson(const Event& event) {
  return internal::EventToJsonText(event);
}

std::string_view TypeName(const EventData& data) {
  return std::visit(
      [](const auto& value) { return std::decay_t<decltype(value)>::kType; },
      data);
}

std::vector<std::string_view> AllEventTypes() {
  return TypesOf(std::make_index_sequence<std::variant_size_v<EventData>>{});
}

}  // namespace esms::domain
