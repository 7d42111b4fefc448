#include "cli/import_report.h"

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/output.h"

namespace esms::cli {

using nlohmann::json;

ImportReport::ImportReport(const Globals& g) : g_(g) {
  if (g_.json) std::fputs("{\"results\":[", g_.out);
}

void ImportReport::Acknowledged(uint64_t line, std::string_view id,
                                const ledger::Appended& appended) {
  (appended.existing ? existing_ : appended_)++;
  if (!g_.json) return;
  if (!first_result_) std::fputc(',', g_.out);
  first_result_ = false;
  const std::string object = json{{"line", line},
                                  {"id", id},
                                  {"seq", appended.seq},
                                  {"status", appended.existing ? "existing" : "appended"}}
                                 .dump();
  std::fputs(object.c_str(), g_.out);
}

void ImportReport::Flush() {
  if (g_.json) std::fflush(g_.out);
}

int ImportReport::Finish(const Refusal& refusal, uint64_t ledger_size) {
  if (!refusal.status.ok()) {
    if (g_.json) {
      json r = {{"line", refusal.line}, {"id", refusal.id}, {"status", "refused"}};
      if (refusal.last_line > refusal.line) r["lastLine"] = refusal.last_line;
      r["error"] = json::parse(ErrorJson(refusal.status));
      // INTERFACE.md §3 gives a refusal its "conflicts" list: empty when it has none.
      if (!r["error"].contains("conflicts")) r["error"]["conflicts"] = json::array();
      if (!first_result_) std::fputc(',', g_.out);
      first_result_ = false;
      std::fputs(r.dump().c_str(), g_.out);
      std::fputs("]}\n", g_.out);
      std::fflush(g_.out);
    } else {
      fmt::print(g_.out, "appended {}, already present {}\n", appended_, existing_);
      fmt::print(g_.err, "line {} refused (id {}):\n", refusal.line,
                 refusal.id.empty() ? "?" : refusal.id);
      ReportError(refusal.status, /*json=*/false, g_.out, g_.err);
    }
    return ExitCodeFor(refusal.status);
  }
  if (g_.json) {
    std::fputs("]}\n", g_.out);
    std::fflush(g_.out);
  } else {
    fmt::print(g_.out, "appended {}, already present {}; ledger size {}\n", appended_, existing_,
               ledger_size);
  }
  return kExitOk;
}

}  // namespace esms::cli
