// libFuzzer target: the JSON event decoder (domain::ParseEvent), the way `import`
// feeds it one line of untrusted input. Whatever the bytes: no crash, no leak, no
// hang; ParseEvent (simdjson's DOM first, nlohmann's on any problem) gives exactly what
// the exact reader alone gives (nlohmann's DOM: the same refusal, or the same event and
// payload); an accepted event survives its round trips (JSON out and in again gives the
// same JSON; its payload encodes and decodes to the same data).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "domain/event_codec.h"

namespace {

// A reading: the refusal, or the event's JSON, stream and payload bytes (or their refusal).
std::string Outcome(const esms::Result<esms::domain::Event>& event) {
  if (!event.ok()) return event.status().ToString();
  std::string out = esms::domain::EventToJson(*event) + '\n' + event->stream + '\n';
  esms::Result<std::vector<uint8_t>> payload = esms::domain::EncodePayload(event->data);
  return out + (payload.ok() ? std::string(payload->begin(), payload->end())
                             : payload.status().ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  esms::Result<esms::domain::Event> event = esms::domain::ParseEvent(text);
  const esms::Result<esms::domain::Event> exact =
      esms::domain::ParseEvent(text, esms::base::JsonParse::kExact);
  if (Outcome(event) != Outcome(exact)) std::abort();  // the fast reader read it otherwise
  if (!event.ok()) {
    if (event.status().message().empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const std::string json = esms::domain::EventToJson(*event);
  esms::Result<esms::domain::Event> again = esms::domain::ParseEvent(json);
  if (!again.ok() || esms::domain::EventToJson(*again) != json) std::abort();
  esms::Result<std::vector<uint8_t>> payload = esms::domain::EncodePayload(event->data);
  if (payload.ok()) {
    auto decoded = esms::domain::DecodePayload(esms::domain::TypeName(event->data), *payload);
    if (!decoded.ok() ||
        esms::domain::DataToJson(*decoded) != esms::domain::DataToJson(event->data)) {
      std::abort();
    }
  }
  return 0;
}
