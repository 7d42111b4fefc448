#include "domain/events.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/internal/enum_names.h"
#include "domain/internal/text.h"
#include "domain/segur.h"

namespace esms::domain {

using internal::EnumToName;
using internal::IndexPath;
using internal::JoinPath;
using internal::Quote;

std::string_view ToString(ProjectKind value) { return EnumToName(value); }
std::string_view ToString(Situation value) { return EnumToName(value); }
std::string_view ToString(Tranche value) { return EnumToName(value); }
std::string_view ToString(EuFund value) { return EnumToName(value); }
std::string_view ToString(EuOperation value) { return EnumToName(value); }
std::string_view ToString(FinessChangeKind value) { return EnumToName(value); }
std::string_view ToString(Certifier value) { return EnumToName(value); }
std::string_view ToString(SolutionStatus value) { return EnumToName(value); }
std::string_view ToString(Role value) { return EnumToName(value); }
std::string_view ToString(AdjustedIndicator value) { return EnumToName(value); }

Result<Role> ParseRole(std::string_view text) {
  if (auto role = internal::EnumFromName<Role>(text)) return *role;
  return Status::BadInput(Quote(text) + " is not a role (expected one of: " +
                          internal::Joined(internal::EnumNames<Role>()) + ")");
}

// A project's events carry its id (`project`), an establishment's facts its
// number (`finess`; finess.changed: the old number, `from`); the others belong
// to the programme.
std::string_view TypeName(const EventData& data) {
  return std::visit([]<typename T>(const T&) { return T::kType; }, data);
}

std::string StreamOf(const EventData& data) {
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (requires(const T& t) { t.project; }) {
          return "project/" + e.project;
        } else if constexpr (requires(const T& t) { t.from; }) {
          return "finess/" + e.from.str();
        } else if constexpr (requires(const T& t) { t.finess; }) {
          return "finess/" + e.finess.str();
        } else {
          return std::string(kProgrammeStream);
        }
      },
      data);
}

bool IsValidIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

// ---- Field checks. Each takes the JSON path of the field it checks. ----

Status CheckProjectId(const std::string& project, const std::string& path) {
  if (IsValidIdentifier(project)) return Status::OK();
  return Status::BadInput(path + ": a project id is 1-128 characters of " +
                          "[A-Za-z0-9._:/-], got " + Quote(project));
}

// Required text: non-empty, no control character.
Status CheckText(const std::string& text, const std::string& path) {
  if (text.empty()) return Status::BadInput(path + ": must not be empty");
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) {
      return Status::BadInput(path + ": contains a control character: " + Quote(text));
    }
  }
  return Status::OK();
}

Status CheckNonNegative(int64_t value, const std::string& path) {
  if (value >= 0) return Status::OK();
  return Status::BadInput(path + ": must not be negative, got " + std::to_string(value));
}

Status CheckPositive(int64_t value, const std::string& path) {
  if (value > 0) return Status::OK();
  return Status::BadInput(path + ": must be positive, got " + std::to_string(value));
}

Status CheckOptionalNonNegative(const std::optional<int64_t>& value, const std::string& path) {
  return value ? CheckNonNegative(*value, path) : Status::OK();
}

Status CheckSolution(const Solution& solution, const std::string& path) {
  RETURN_IF_ERROR(CheckText(solution.vendor, JoinPath(path, "vendor")));
  RETURN_IF_ERROR(CheckText(solution.product, JoinPath(path, "product")));
  return CheckText(solution.version, JoinPath(path, "version"));
}

// A C2SP signed-note key name: non-empty, no whitespace, no control character,
// no '+'.
Status CheckKeyName(const std::string& name, const std::string& path) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7F || b == '+') ok = false;
  }
  if (ok) return Status::OK();
  return Status::BadInput(path + ": a key name is 1-128 bytes without space, control " +
                          "character or '+', got " + Quote(name));
}

// The index of the first item equal to an earlier one, if any.
template <typename T>
std::optional<size_t> FirstRepeat(const std::vector<T>& items) {
  std::set<T> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i]).second) return i;
  }
  return std::nullopt;
}

// "no establishments" / duplicates / unknown OG, shared by submissions and
// extensions.
Status CheckGrappe(const std::vector<OrganisationEntry>& organisations,
                   const std::vector<EstablishmentEntry>& establishments) {
  std::set<std::string> og_numbers;
  for (size_t i = 0; i < organisations.size(); ++i) {
    const OrganisationEntry& og = organisations[i];
    const std::string path = IndexPath("data.organisations", i);
    if (!og_numbers.insert(og.finess_ej.str()).second) {
      return Status::BadInput(JoinPath(path, "finessEj") + ": organisation " + og.finess_ej.str() +
                              " is listed twice");
    }
    RETURN_IF_ERROR(CheckText(og.name, JoinPath(path, "name")));
    RETURN_IF_ERROR(CheckNonNegative(og.essms_total, JoinPath(path, "essmsTotal")));
  }
  if (establishments.empty()) {
    return Status::BadInput("data.establishments: must list at least one establishment");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < establishments.size(); ++i) {
    const EstablishmentEntry& et = establishments[i];
    const std::string path = IndexPath("data.establishments", i);
    if (!seen.insert(et.finess.str()).second) {
      // DOMAIN.md §2: one FINESS géographique = one subsidy; listed twice is an
      // error.
      return Status::InvalidArgument("DUPLICATE_FINESS",
                                     JoinPath(path, "finess") + ": " + et.finess.str() +
                                         " is listed twice in this event's establishments");
    }
    if (og_numbers.count(et.finess_ej.str()) == 0) {
      return Status::BadInput(JoinPath(path, "finessEj") + ": " + et.finess_ej.str() +
                              " is not among data.organisations[].finessEj");
    }
    RETURN_IF_ERROR(CheckText(et.name, JoinPath(path, "name")));
    if (et.saad_hours) {
      const std::string saad = JoinPath(path, "saadHours");
      RETURN_IF_ERROR(CheckPositive(et.saad_hours->total, JoinPath(saad, "total")));
      RETURN_IF_ERROR(CheckNonNegative(et.saad_hours->eligible, JoinPath(saad, "eligible")));
      if (et.saad_hours->eligible > et.saad_hours->total) {
        return Status::BadInput(
            JoinPath(saad, "eligible") + ": " + std::to_string(et.saad_hours->eligible) +
            " eligible hours exceed the total of " + std::to_string(et.saad_hours->total));
      }
    }
    RETURN_IF_ERROR(
        CheckOptionalNonNegative(et.equipment_quote_cents, JoinPath(path, "equipmentQuoteCents")));
  }
  return Status::OK();
}

// `value` <= `limit`, both non-negative counts of an indicator.
Status CheckAtMost(int64_t value, std::string_view name, int64_t limit,
                   std::string_view limit_name) {
  if (value <= limit) return Status::OK();
  return Status::BadInput("data." + std::string(name) + ": " + std::to_string(value) +
                          " exceeds data." + std::string(limit_name) + " (" +
                          std::to_string(limit) + ")");
}

struct Validator {
  Status operator()(const ProjectSubmitted& e) {
    RETURN_IF_ERROR(CheckText(e.porteur.name, "data.porteur.name"));
    RETURN_IF_ERROR(CheckSolution(e.solution, "data.solution"));
    RETURN_IF_ERROR(CheckGrappe(e.organisations, e.establishments));
    RETURN_IF_ERROR(CheckOptionalNonNegative(e.amoa_requested_cents, "data.amoaRequestedCents"));
    return CheckUsageCommitments(e);
  }
  // 001 §3 « Critères d'utilisation »: the three métier rates and « au moins deux des
  // critères » among the socle counts, announced in the file (amorçage: required).
  static Status CheckUsageCommitments(const ProjectSubmitted& e) {
    const std::string path = "data.usageCommitments";
    if (!e.usage_commitments.has_value()) {
      if (e.campaign != Campaign::kAmorcage2021) return Status::OK();
      return Status::BadInput(path +
                              ": required in amorcage-2021 (001 \u00a73 Crit\u00e8res "
                              "d'utilisation)");
    }
    const UsageCommitments& c = *e.usage_commitments;
    for (auto [value, name] :
         {std::pair{c.active_files_rate, "activeFilesRate"}, std::pair{c.plan_rate, "planRate"},
          std::pair{c.agenda_rate, "agendaRate"}}) {
      if (value < 1 || value > 100) {
        return Status::BadInput(JoinPath(path, name) + ": " + std::to_string(value) +
                                " is not a whole percent in 1..100");
      }
    }
    int counts = 0;
    for (auto [value, name] : {std::pair{c.mssante_messages, "mssanteMessages"},
                               std::pair{c.dmp_documents, "dmpDocuments"},
                               std::pair{c.e_prescription_imports, "ePrescriptionImports"},
                               std::pair{c.e_parcours_exchanges, "eParcoursExchanges"}}) {
      if (!value.has_value()) continue;
      if (*value < 1) {
        return Status::BadInput(JoinPath(path, name) + ": an announced count is at least 1");
      }
      ++counts;
    }
    if (counts < 2) {
      return Status::BadInput(path +
                              ": at least two of mssanteMessages, dmpDocuments, "
                              "ePrescriptionImports, eParcoursExchanges (001 \u00a73)");
    }
    return Status::OK();
  }
  Status operator()(const ProjectSelected&) { return Status::OK(); }
  Status operator()(const ProjectRejected&) { return Status::OK(); }
  Status operator()(const ConventionSigned& e) {
    RETURN_IF_ERROR(CheckPositive(e.amount_cents, "data.amountCents"));
    if (e.establishments.empty()) {
      return Status::BadInput("data.establishments: must list at least one establishment");
    }
    if (const auto i = FirstRepeat(e.establishments)) {
      return Status::InvalidArgument("DUPLICATE_FINESS",
                                     IndexPath("data.establishments", *i) + ": " +
                                         e.establishments[*i].str() +
                                         " is listed twice in this event's establishments");
    }
    return CheckPositive(e.duration_months, "data.durationMonths");
  }
  Status operator()(const PaymentIssued& e) { return CheckAmountAndReference(e); }
  // A payment or an invoice: a positive amount and its reference.
  static Status CheckAmountAndReference(const auto& e) {
    RETURN_IF_ERROR(CheckPositive(e.amount_cents, "data.amountCents"));
    return CheckText(e.reference, "data.reference");
  }
  Status operator()(const IndicatorMeasured& e) {
    if (e.period_start > e.period_end) {
      return Status::BadInput("data.periodEnd: " + e.period_end.ToString() +
                              " is before data.periodStart " + e.period_start.ToString());
    }
    if (e.socle_period_start && *e.socle_period_start > e.period_end) {
      return Status::BadInput("data.soclePeriodStart: " + e.socle_period_start->ToString() +
                              " is after data.periodEnd " + e.period_end.ToString());
    }
    RETURN_IF_ERROR(CheckNonNegative(e.persons_accompanied, "data.personsAccompanied"));
    RETURN_IF_ERROR(CheckNonNegative(e.active_files, "data.activeFiles"));
    RETURN_IF_ERROR(CheckNonNegative(e.active_files_with_plan, "data.activeFilesWithPlan"));
    RETURN_IF_ERROR(
        CheckNonNegative(e.active_files_with_agenda_event, "data.activeFilesWithAgendaEvent"));
    RETURN_IF_ERROR(CheckOptionalNonNegative(e.persons_eligible, "data.personsEligible"));
    RETURN_IF_ERROR(CheckNonNegative(e.mssante_messages, "data.mssanteMessages"));
    RETURN_IF_ERROR(CheckNonNegative(e.dmp_fed, "data.dmpFed"));
    RETURN_IF_ERROR(
        CheckOptionalNonNegative(e.e_prescription_imports, "data.ePrescriptionImports"));
    RETURN_IF_ERROR(CheckOptionalNonNegative(e.e_parcours_exchanges, "data.eParcoursExchanges"));
    RETURN_IF_ERROR(CheckOptionalNonNegative(e.dmp_documents, "data.dmpDocuments"));
    RETURN_IF_ERROR(
        CheckAtMost(e.active_files, "activeFiles", e.persons_accompanied, "personsAccompanied"));
    RETURN_IF_ERROR(CheckAtMost(e.active_files_with_plan, "activeFilesWithPlan", e.active_files,
                                "activeFiles"));
    return CheckAtMost(e.active_files_with_agenda_event, "activeFilesWithAgendaEvent",
                       e.active_files, "activeFiles");
  }
  Status operator()(const GrappeExtended& e) {
    return CheckGrappe(e.organisations, e.establishments);
  }
  Status operator()(const FinessChanged& e) {
    if (e.from == e.to) {
      return Status::BadInput("data.to: the new number is the same as data.from (" + e.from.str() +
                              ")");
    }
    return Status::OK();
  }
  Status operator()(const SonsOrdered& e) { return CheckSolution(e.solution, "data.solution"); }
  Status operator()(const EuFundingDeclared&) { return Status::OK(); }
  Status operator()(const ExpensesCertified& e) {
    RETURN_IF_ERROR(CheckNonNegative(e.total_cents, "data.totalCents"));
    return CheckNonNegative(e.equipment_cents, "data.equipmentCents");
  }
  Status operator()(const SolutionReferenced& e) {
    RETURN_IF_ERROR(CheckSolution(e.solution, "data.solution"));
    RETURN_IF_ERROR(CheckText(e.corridor, "data.corridor"));
    // INTERFACE.md §1: `corridor` (`medico-social`/`hospital`), 000 §4.2 C.
    if (!IsKnownCorridor(e.corridor)) {
      return Status::BadInput("data.corridor: \"" + e.corridor +
                              "\" is not a S\u00e9gur corridor (medico-social, hospital)");
    }
    return Status::OK();
  }
  Status operator()(const TargetsAdjusted& e) {
    RETURN_IF_ERROR(CheckNonNegative(e.denominator, "data.denominator"));
    // INTERFACE.md §1: a new adjustment names its indicators and its effectiveFrom
    // (both absent only in records written before issue 13, never in JSON).
    if (e.indicators.empty()) {
      return Status::BadInput("data.indicators: name at least one indicator");
    }
    if (!e.effective_from.has_value()) return Status::BadInput("data.effectiveFrom: missing");
    if (const auto i = FirstRepeat(e.indicators)) {
      return Status::BadInput(IndexPath("data.indicators", *i) + ": " +
                              std::string(ToString(e.indicators[*i])) + " listed twice");
    }
    return Status::OK();
  }
  Status operator()(const InvoiceReceived& e) {
    if (e.tranche != Tranche::kParametrisation && e.tranche != Tranche::kDeployment) {
      return Status::BadInput(
          "data.tranche: an invoice is for the parametrisation or the "
          "deployment tranche (001 Modalit\u00e9s de financement)");
    }
    return CheckAmountAndReference(e);
  }
  Status operator()(const FundingRecorded& e) {
    RETURN_IF_ERROR(CheckText(e.campaign, "data.campaign"));
    RETURN_IF_ERROR(CheckSolution(e.solution, "data.solution"));
    return CheckPositive(e.amount_cents, "data.amountCents");
  }
  Status operator()(const KeyEnrolled& e) {
    RETURN_IF_ERROR(CheckKeyName(e.name, "data.name"));
    if (const auto i = FirstRepeat(e.roles)) {
      return Status::BadInput(IndexPath("data.roles", *i) + ": role " +
                              std::string(ToString(e.roles[*i])) + " is listed twice");
    }
    if (const auto i = FirstRepeat(e.regions)) {
      return Status::BadInput(IndexPath("data.regions", *i) + ": region " + e.regions[*i].code() +
                              " is listed twice");
    }
    return Status::OK();
  }
  Status operator()(const KeyRevoked& e) { return CheckKeyName(e.name, "data.name"); }
  Status operator()(const EventVoided&) { return Status::OK(); }
};

}  // namespace

// Every event of a project names a valid project id (checked first) and every reason is a text
// (checked last); in between, the type's own checks (Validator).
Status ValidateEventData(const EventData& data) {
  return std::visit(
      [](const auto& e) {
        if constexpr (requires { e.project; }) {
          RETURN_IF_ERROR(CheckProjectId(e.project, "data.project"));
        }
        RETURN_IF_ERROR(Validator{}(e));
        if constexpr (requires { e.reason; }) return CheckText(e.reason, "data.reason");
        return Status::OK();
      },
      data);
}

}  // namespace esms::domain
