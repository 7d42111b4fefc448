// The projection commands: state, history, check.
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/input.h"
#include "cli/output.h"
#include "cli/records.h"
#include "domain/date.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "projections/queries.h"

namespace esms::cli {
namespace {

// The ledger opened read-only and its projected state (snapshot + replay); for a read
// `serve` runs for a client, the served ledger and its state (not owned).
struct Projected {
  std::shared_ptr<ledger::Ledger> ledger;
  std::shared_ptr<projections::Projector> projector;
};

Result<Projected> OpenProjected(const Globals& g) {
  Projected p;
  if (g.served_ledger != nullptr && g.served_projector != nullptr) {
    p.ledger = std::shared_ptr<ledger::Ledger>(g.served_ledger, [](ledger::Ledger*) {});
    p.projector =
        std::shared_ptr<projections::Projector>(g.served_projector, [](projections::Projector*) {});
    return p;
  }
  ASSIGN_OR_RETURN(p.ledger, ledger::Ledger::Open(g.ledger_dir, ledger::Ledger::Mode::kReadOnly));
  ASSIGN_OR_RETURN(p.projector, projections::Projector::Open(*p.ledger));
  return p;
}

void Print(const Globals& g, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), g.out);
  if (text.empty() || text.back() != '\n') std::fputc('\n', g.out);
}

}  // namespace

int CmdState(const Globals& g, const std::string& project, const std::optional<std::string>& at) {
  auto date = DateOrToday(at);
  if (!date.ok()) return ReportError(date.status(), g);
  auto p = OpenProjected(g);
  if (!p.ok()) return ReportError(p.status(), g);
  auto view = projections::ViewProject(p->projector->state(), project, *date,
                                       projections::LedgerSigners(*p->ledger));
  if (!view.ok()) return ReportError(view.status(), g);
  Print(g, g.json ? projections::ToJson(*view) : projections::ToText(*view));
  return kExitOk;
}

int CmdCheck(const Globals& g, const std::string& project, const std::optional<std::string>& at) {
  auto date = DateOrToday(at);
  if (!date.ok()) return ReportError(date.status(), g);
  auto p = OpenProjected(g);
  if (!p.ok()) return ReportError(p.status(), g);
  auto report = projections::CheckProject(p->projector->state(), project, *date,
                                          projections::LedgerSigners(*p->ledger));
  if (!report.ok()) return ReportError(report.status(), g);
  Print(g, g.json ? projections::ToJson(*report) : projections::ToText(*report));
  return kExitOk;
}

int CmdHistory(const Globals& g, const std::string& key) {
  auto p = OpenProjected(g);
  if (!p.ok()) return ReportError(p.status(), g);
  auto seqs = projections::History(*p->ledger, p->projector->state(), key);
  if (!seqs.ok()) return ReportError(seqs.status(), g);
  std::string out = g.json ? fmt::format("{{\"key\":{},\"records\":[", JsonString(key)) : "";
  bool first = true;
  for (uint64_t seq : *seqs) {
    auto record = p->ledger->Get(seq);
    if (!record.ok()) return ReportError(record.status(), g);
    if (g.json) {
      auto text = RecordJson(*record);
      if (!text.ok()) return ReportError(text.status(), g);
      if (!first) out += ',';
      first = false;
      out += *text;
    } else {
      out += RecordLine(*record) + "\n";
    }
  }
  if (g.json) {
    out += "]}";
  } else {
    out = fmt::format("history of {}: {} records\n", key, seqs->size()) + out;
  }
  Print(g, out);
  return kExitOk;
}

}  // namespace esms::cli
