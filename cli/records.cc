#include "cli/records.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "ledger/hash.h"
#include "projections/appender.h"

namespace esms::cli {

Result<std::string> RecordJson(const ledger::Record& r) {
  ASSIGN_OR_RETURN(std::string data, projections::RecordDataJson(r));
  nlohmann::json rec = {{"seq", r.seq},
                        {"id", r.event_id},
                        {"type", r.type},
                        {"at", r.at},
                        {"stream", r.stream},
                        {"signer", r.signer},
                        {"recordedAt", ledger::FormatMicros(r.recorded_at_micros)},
                        {"hash", ledger::ToHex(r.hash)},
                        {"leafHash", ledger::ToHex(r.leaf_hash)},
                        {"data", nlohmann::json::parse(data)}};
  return rec.dump();
}

std::string RecordLine(const ledger::Record& r) {
  return fmt::format("{:>8}  {}  {:<20} {:<30} {:<18} {}", r.seq, r.at, r.type, r.stream, r.signer,
                     r.event_id);
}

}  // namespace esms::cli
