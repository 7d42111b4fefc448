// Strict JSON for events (INTERFACE.md §1).
//
// Why nlohmann-json and not Cap'n Proto's JSON codec (capnp/compat/json.h),
// which DESIGN.md prefers: that codec cannot serve a strict reader. It silently
// skips unknown fields (so a typo would pass), cannot report a missing field
// (every Cap'n Proto field has a default), reads 1 and 1.0 alike into an Int64
// (so a float would pass in a Cents field), and accepts duplicate keys. Here
// the text goes through nlohmann-json's SAX parser into a DOM (duplicate keys
// and excessive nesting refused on the way, with their path), then each object
// is walked with explicit checks: allowed fields, required fields, JSON types,
// integers without fraction or exponent.
#include "domain/internal/event_json.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "domain/internal/base64.h"
#include "domain/internal/enum_names.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Events are at most 4 levels deep (data.establishments[i].saadHours); anything
// much deeper is refused before it costs stack or memory.
constexpr size_t kMaxDepth = 16;

// ============================================================== strict parsing

// A SAX handler building the DOM as nlohmann's own does, but refusing a key
// repeated in one object (nlohmann would keep the last one silently) and
// nesting beyond kMaxDepth. The first problem is kept in error().
class StrictDomBuilder {
 public:
  bool null() { return AddValue(Json(nullptr)); }
  bool boolean(bool value) { return AddValue(Json(value)); }
  bool number_integer(Json::number_integer_t value) {
    return AddValue(Json(value));
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    return AddValue(Json(value));
  }
  bool number_float(Json::number_float_t value,
                    const Json::string_t& /*text*/) {
    return AddValue(Json(value));
  }
  bool string(Json::string_t& value) {
    return AddValue(Json(std::move(value)));
  }
  bool binary(Json::binary_t& /*value*/) {
    error_ = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t /*elements*/) { return Open(Json::object()); }
  bool key(Json::string_t& key) {
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key).second) {
      error_ = JoinPath(CurrentPath(), Sanitize(key)) + ": duplicate key";
      return false;
    }
    frame.key = std::move(key);
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) { return Open(Json::array()); }
  bool end_array() {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 7: ..."
    // -> the part after the bracketed id.
    std::string_view what = e.what();
    if (size_t end = what.find("] ");
        !what.empty() && what[0] == '[' && end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
    error_ = "invalid JSON: " + Sanitize(what);
    return false;
  }

  Json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    Json* value;
    std::set<std::string> keys;  // objects: the keys seen so far
    std::string key;             // objects: the key whose value comes next
  };

  // Where the next value goes; null for the root.
  Json* Insert(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& parent = frames_.back();
    if (parent.value->is_array()) {
      parent.value->push_back(std::move(value));
      return &parent.value->back();
    }
    Json& slot = (*parent.value)[parent.key];
    slot = std::move(value);
    return &slot;
  }

  bool AddValue(Json value) {
    Insert(std::move(value));
    return true;
  }

  bool Open(Json container) {
    if (frames_.size() >= kMaxDepth) {
      error_ = CurrentPath() + ": nested deeper than " +
               std::to_string(kMaxDepth) + " levels";
      return false;
    }
    // The container's address stays valid while it is open: its parent gets no
    // other element until it is closed.
    Json* value = Insert(std::move(container));
    frames_.push_back(Frame{value, {}, {}});
    return true;
  }

  // The path of the innermost open container ("" for the root object).
  std::string CurrentPath() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& frame = frames_[i];
      if (frame.value->is_array()) {
        path = IndexPath(path, frame.value->size() - 1);
      } else {
        path = JoinPath(path, Sanitize(frame.key));
      }
    }
    return path;
  }

  Json root_;
  std::vector<Frame> frames_;
  std::string error_;
};

Result<Json> ParseStrict(std::string_view text) {
  StrictDomBuilder builder;
  bool ok = false;
  try {
    ok = Json::sax_parse(text, &builder, Json::input_format_t::json,
                         /*strict=*/true);
  } catch (const Json::exception& e) {
    return Status::BadInput(std::string("invalid JSON: ") + Sanitize(e.what()));
  }
  if (!ok) {
    return Status::BadInput(builder.error().empty()
                                ? std::string("invalid JSON")
                                : builder.error());
  }
  return std::move(builder.root());
}

// ============================================================== reading values
// Every reader has the shape Result<T>(const Json& value, const std::string&
// path).

std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::string:
      return "the string " + Quote(value.get_ref<const std::string&>(), 40);
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "the number " + value.dump();
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "a value of another kind";
  }
}

Status WrongType(const Json& value, const std::string& path,
                 std::string_view expected) {
  return Status::BadInput(path + ": expected " + std::string(expected) +
                          ", got " + Describe(value));
}

// `value` must be an object whose keys are all in `allowed`.
Status ExpectObject(const Json& value, const std::string& path,
                    std::initializer_list<std::string_view> allowed) {
  if (!value.is_object()) {
    return WrongType(value, path.empty() ? std::string("event") : path,
                     "an object");
  }
  for (const auto& [key, unused] : value.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || key == name;
    if (!known) {
      std::string names;
      for (std::string_view name : allowed) {
        if (!names.empty()) names += ", ";
        names += name;
      }
      return Status::BadInput(JoinPath(path, Sanitize(key)) +
                              ": unknown field (expected one of: " + names +
                              ")");
    }
  }
  return Status::OK();
}

Result<std::string> ReadString(const Json& value, const std::string& path) {
  if (!value.is_string()) return WrongType(value, path, "a string");
  return value.get<std::string>();
}

Result<bool> ReadBool(const Json& value, const std::string& path) {
  if (!value.is_boolean()) return WrongType(value, path, "true or false");
  return value.get<bool>();
}

// A JSON integer: no fraction, no exponent (1.0 and 1e2 are refused).
Status ExpectInteger(const Json& value, const std::string& path,
                     std::string_view what) {
  if (value.is_number_float()) {
    return Status::BadInput(path + ": expected " + std::string(what) +
                            " (no fraction or exponent), got the number " +
                            value.dump());
  }
  if (!value.is_number_integer()) return WrongType(value, path, what);
  return Status::OK();
}

// Money in cents and counts: an integer in [0, 2^63).
Result<int64_t> ReadCount(const Json& value, const std::string& path) {
  constexpr std::string_view kWhat = "a non-negative integer";
  RETURN_IF_ERROR(ExpectInteger(value, path, kWhat));
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::BadInput(path + ": " + value.dump() + " is too large");
    }
    return static_cast<int64_t>(number);
  }
  const int64_t number = value.get<int64_t>();
  if (number < 0) {
    return Status::BadInput(path + ": expected " + std::string(kWhat) +
                            ", got " + std::to_string(number) +
                            " (must not be negative)");
  }
  return number;
}

// Seqs and stream versions: an integer in [0, 2^64).
Result<uint64_t> ReadUnsigned(const Json& value, const std::string& path) {
  constexpr std::string_view kWhat = "a non-negative integer";
  RETURN_IF_ERROR(ExpectInteger(value, path, kWhat));
  if (!value.is_number_unsigned()) {
    return Status::BadInput(path + ": expected " + std::string(kWhat) +
                            ", got " + value.dump() +
                            " (must not be negative)");
  }
  return value.get<uint64_t>();
}

// Runs a value factory (Date::Parse, Finess::Parse, ...) on a JSON string,
// prefixing its error with the path; the factory's error code is kept
// (FINESS_INVALID, ...).
template <typename T>
Result<T> ReadParsed(const Json& value, const std::string& path,
                     Result<T> (*parse)(std::string_view)) {
  if (!value.is_string()) return WrongType(value, path, "a string");
  Result<T> parsed = parse(value.get_ref<const std::string&>());
  if (!parsed.ok()) return std::move(parsed).TakeStatus().WithContext(path);
  return parsed;
}

Result<Date> ReadDate(const Json& value, const std::string& path) {
  if (!value.is_string())
    return WrongType(value, path, "a date string (YYYY-MM-DD)");
  return ReadParsed<Date>(value, path, &Date::Parse);
}
Result<Finess> ReadFiness(const Json& value, const std::string& path) {
  if (!value.is_string())
    return WrongType(value, path, "a FINESS number as a string");
  return ReadParsed<Finess>(value, path, &Finess::Parse);
}
Result<Siret> ReadSiret(const Json& value, const std::string& path) {
  if (!value.is_string())
    return WrongType(value, path, "a SIRET number as a string");
  return ReadParsed<Siret>(value, path, &Siret::Parse);
}
Result<Region> ReadRegion(const Json& value, const std::string& path) {
  if (!value.is_string())
    return WrongType(value, path, "an INSEE region code as a string");
  return ReadParsed<Region>(value, path, &Region::Parse);
}
Result<Campaign> ReadCampaign(const Json& value, const std::string& path) {
  return ReadParsed<Campaign>(value, path, &ParseCampaign);
}

// A closed vocabulary; the error lists the allowed values.
template <const auto& kTable>
Result<std::remove_cvref_t<decltype(kTable[0].value)>> ReadEnum(
    const Json& value, const std::string& path) {
  if (!value.is_string()) {
    return WrongType(value, path, "one of: " + EnumNameList(kTable));
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (auto parsed = EnumFromName(kTable, text)) return *parsed;
  return Status::BadInput(
      path + ": " + Quote(text, 40) +
      " is not allowed (expected one of: " + EnumNameList(kTable) + ")");
}

Result<std::array<uint8_t, 32>> ReadPublicKey(const Json& value,
                                              const std::string& path) {
  constexpr std::string_view kWhat =
      "the base64 of a raw 32-byte Ed25519 public key";
  if (!value.is_string()) return WrongType(value, path, kWhat);
  const std::string& text = value.get_ref<const std::string&>();
  std::optional<std::vector<uint8_t>> bytes = Base64Decode(text);
  if (!bytes || bytes->size() != 32) {
    return Status::BadInput(path + ": expected " + std::string(kWhat) +
                            ", got the string " + Quote(text));
  }
  std::array<uint8_t, 32> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

// ---- Fields of an object. ----

template <typename F>
using ReadResultOf = std::invoke_result_t<F, const Json&, const std::string&>;

template <typename R>
struct ResultValue;
template <typename T>
struct ResultValue<Result<T>> {
  using type = T;
};

template <typename F>
ReadResultOf<F> Required(const Json& object, const std::string& path,
                         std::string_view key, F read) {
  const std::string field = JoinPath(path, key);
  const auto it = object.find(std::string(key));
  if (it == object.end()) return Status::BadInput(field + ": missing");
  return read(*it, field);
}

template <typename F, typename T = typename ResultValue<ReadResultOf<F>>::type>
Result<std::optional<T>> Optional(const Json& object, const std::string& path,
                                  std::string_view key, F read) {
  const auto it = object.find(std::string(key));
  if (it == object.end()) return std::optional<T>();
  ASSIGN_OR_RETURN(T value, read(*it, JoinPath(path, key)));
  return std::optional<T>(std::move(value));
}

template <typename F, typename T = typename ResultValue<ReadResultOf<F>>::type>
auto ListOf(F read) {
  return [read](const Json& value,
                const std::string& path) -> Result<std::vector<T>> {
    if (!value.is_array()) return WrongType(value, path, "an array");
    std::vector<T> out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      ASSIGN_OR_RETURN(T item, read(value[i], IndexPath(path, i)));
      out.push_back(std::move(item));
    }
    return out;
  };
}

// ============================================================== reading
// objects

Result<Solution> ReadSolution(const Json& value, const std::string& path) {
  RETURN_IF_ERROR(ExpectObject(value, path, {"vendor", "product", "version"}));
  ASSIGN_OR_RETURN(std::string vendor,
                   Required(value, path, "vendor", ReadString));
  ASSIGN_OR_RETURN(std::string product,
                   Required(value, path, "product", ReadString));
  ASSIGN_OR_RETURN(std::string version,
                   Required(value, path, "version", ReadString));
  return Solution{.vendor = std::move(vendor),
                  .product = std::move(product),
                  .version = std::move(version)};
}

Result<Porteur> ReadPorteur(const Json& value, const std::string& path) {
  RETURN_IF_ERROR(ExpectObject(
      value, path,
      {"finessEj", "siret", "name", "ght", "nationalEntityAgreement"}));
  ASSIGN_OR_RETURN(Finess finess_ej,
                   Required(value, path, "finessEj", ReadFiness));
  ASSIGN_OR_RETURN(Siret siret, Required(value, path, "siret", ReadSiret));
  ASSIGN_OR_RETURN(std::string name, Required(value, path, "name", ReadString));
  ASSIGN_OR_RETURN(std::optional<bool> ght,
                   Optional(value, path, "ght", ReadBool));
  ASSIGN_OR_RETURN(std::optional<bool> agreement,
                   Optional(value, path, "nationalEntityAgreement", ReadBool));
  return Porteur{.finess_ej = std::move(finess_ej),
                 .siret = std::move(siret),
                 .name = std::move(name),
                 .ght = ght,
                 .national_entity_agreement = agreement};
}

Result<OrganisationEntry> ReadOrganisation(const Json& value,
                                           const std::string& path) {
  RETURN_IF_ERROR(
      ExpectObject(value, path, {"finessEj", "name", "essmsTotal", "region"}));
  ASSIGN_OR_RETURN(Finess finess_ej,
                   Required(value, path, "finessEj", ReadFiness));
  ASSIGN_OR_RETURN(std::string name, Required(value, path, "name", ReadString));
  ASSIGN_OR_RETURN(int64_t essms_total,
                   Required(value, path, "essmsTotal", ReadCount));
  ASSIGN_OR_RETURN(Region region, Required(value, path, "region", ReadRegion));
  return OrganisationEntry{.finess_ej = std::move(finess_ej),
                           .name = std::move(name),
                           .essms_total = essms_total,
                           .region = std::move(region)};
}

Result<SaadHours> ReadSaadHours(const Json& value, const std::string& path) {
  RETURN_IF_ERROR(ExpectObject(value, path, {"total", "eligible"}));
  ASSIGN_OR_RETURN(int64_t total, Required(value, path, "total", ReadCount));
  ASSIGN_OR_RETURN(int64_t eligible,
                   Required(value, path, "eligible", ReadCount));
  return SaadHours{.total = total, .eligible = eligible};
}

Result<EstablishmentEntry> ReadEstablishment(const Json& value,
                                             const std::string& path) {
  RETURN_IF_ERROR(
      ExpectObject(value, path,
                   {"finess", "finessEj", "name", "region", "situation",
                    "saadHours", "equipmentQuoteCents"}));
  ASSIGN_OR_RETURN(Finess finess, Required(value, path, "finess", ReadFiness));
  ASSIGN_OR_RETURN(Finess finess_ej,
                   Required(value, path, "finessEj", ReadFiness));
  ASSIGN_OR_RETURN(std::string name, Required(value, path, "name", ReadString));
  ASSIGN_OR_RETURN(Region region, Required(value, path, "region", ReadRegion));
  ASSIGN_OR_RETURN(Situation situation, Required(value, path, "situation",
                                                 ReadEnum<kSituationNames>));
  ASSIGN_OR_RETURN(std::optional<SaadHours> saad_hours,
                   Optional(value, path, "saadHours", ReadSaadHours));
  ASSIGN_OR_RETURN(std::optional<int64_t> quote,
                   Optional(value, path, "equipmentQuoteCents", ReadCount));
  return EstablishmentEntry{.finess = std::move(finess),
                            .finess_ej = std::move(finess_ej),
                            .name = std::move(name),
                            .region = std::move(region),
                            .situation = situation,
                            .saad_hours = saad_hours,
                            .equipment_quote_cents = quote};
}

Result<UsageCommitments> ReadUsageCommitments(const Json& value, const std::string& path) {
  RETURN_IF_ERROR(ExpectObject(value, path,
                               {"activeFilesRate", "planRate", "agendaRate", "mssanteMessages",
                                "dmpDocuments", "ePrescriptionImports", "eParcoursExchanges"}));
  UsageCommitments c;
  ASSIGN_OR_RETURN(c.active_files_rate, Required(value, path, "activeFilesRate", ReadCount));
  ASSIGN_OR_RETURN(c.plan_rate, Required(value, path, "planRate", ReadCount));
  ASSIGN_OR_RETURN(c.agenda_rate, Required(value, path, "agendaRate", ReadCount));
  ASSIGN_OR_RETURN(c.mssante_messages, Optional(value, path, "mssanteMessages", ReadCount));
  ASSIGN_OR_RETURN(c.dmp_documents, Optional(value, path, "dmpDocuments", ReadCount));
  ASSIGN_OR_RETURN(c.e_prescription_imports,
                   Optional(value, path, "ePrescriptionImports", ReadCount));
  ASSIGN_OR_RETURN(c.e_parcours_exchanges,
                   Optional(value, path, "eParcoursExchanges", ReadCount));
  return c;
}

template <typename T>
struct Tag {};

Result<ProjectSubmitted> ReadData(const Json& v, const std::string& p,
                                  Tag<ProjectSubmitted>) {
  RETURN_IF_ERROR(ExpectObject(
      v, p,
      {"project", "campaign", "porteur", "kind", "solution", "organisations",
       "establishments", "amoaRequestedCents", "submittedAt", "usageCommitments"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Campaign campaign, Required(v, p, "campaign", ReadCampaign));
  ASSIGN_OR_RETURN(Porteur porteur, Required(v, p, "porteur", ReadPorteur));
  ASSIGN_OR_RETURN(ProjectKind kind,
                   Required(v, p, "kind", ReadEnum<kProjectKindNames>));
  ASSIGN_OR_RETURN(Solution solution, Required(v, p, "solution", ReadSolution));
  ASSIGN_OR_RETURN(std::vector<OrganisationEntry> organisations,
                   Required(v, p, "organisations", ListOf(ReadOrganisation)));
  ASSIGN_OR_RETURN(std::vector<EstablishmentEntry> establishments,
                   Required(v, p, "establishments", ListOf(ReadEstablishment)));
  ASSIGN_OR_RETURN(std::optional<int64_t> amoa,
                   Optional(v, p, "amoaRequestedCents", ReadCount));
  ASSIGN_OR_RETURN(Date submitted_at, Required(v, p, "submittedAt", ReadDate));
  ASSIGN_OR_RETURN(std::optional<UsageCommitments> commitments,
                   Optional(v, p, "usageCommitments", ReadUsageCommitments));
  return ProjectSubmitted{.project = std::move(project),
                          .campaign = campaign,
                          .porteur = std::move(porteur),
                          .kind = kind,
                          .solution = std::move(solution),
                          .organisations = std::move(organisations),
                          .establishments = std::move(establishments),
                          .amoa_requested_cents = amoa,
                          .submitted_at = submitted_at,
                          .usage_commitments = std::move(commitments)};
}

Result<ProjectSelected> ReadData(const Json& v, const std::string& p,
                                 Tag<ProjectSelected>) {
  RETURN_IF_ERROR(ExpectObject(v, p, {"project", "committeeAt"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Date committee_at, Required(v, p, "committeeAt", ReadDate));
  return ProjectSelected{.project = std::move(project),
                         .committee_at = committee_at};
}

Result<ProjectRejected> ReadData(const Json& v, const std::string& p,
                                 Tag<ProjectRejected>) {
  RETURN_IF_ERROR(ExpectObject(v, p, {"project", "reason"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(std::string reason, Required(v, p, "reason", ReadString));
  return ProjectRejected{.project = std::move(project),
                         .reason = std::move(reason)};
}

Result<ConventionSigned> ReadData(const Json& v, const std::string& p,
                                  Tag<ConventionSigned>) {
  RETURN_IF_ERROR(ExpectObject(v, p,
                               {"project", "signedAt", "amountCents",
                                "establishments", "durationMonths"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Date signed_at, Required(v, p, "signedAt", ReadDate));
  ASSIGN_OR_RETURN(int64_t amount_cents,
                   Required(v, p, "amountCents", ReadCount));
  ASSIGN_OR_RETURN(std::vector<Finess> establishments,
                   Required(v, p, "establishments", ListOf(ReadFiness)));
  ASSIGN_OR_RETURN(int64_t duration_months,
                   Required(v, p, "durationMonths", ReadCount));
  return ConventionSigned{.project = std::move(project),
                          .signed_at = signed_at,
                          .amount_cents = amount_cents,
                          .establishments = std::move(establishments),
                          .duration_months = duration_months};
}

Result<PaymentIssued> ReadData(const Json& v, const std::string& p,
                               Tag<PaymentIssued>) {
  RETURN_IF_ERROR(ExpectObject(v, p,
                               {"project", "tranche", "amountCents", "paidAt",
                                "reference", "payingRegion"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Tranche tranche,
                   Required(v, p, "tranche", ReadEnum<kTrancheNames>));
  ASSIGN_OR_RETURN(int64_t amount_cents,
                   Required(v, p, "amountCents", ReadCount));
  ASSIGN_OR_RETURN(Date paid_at, Required(v, p, "paidAt", ReadDate));
  ASSIGN_OR_RETURN(std::string reference,
                   Required(v, p, "reference", ReadString));
  ASSIGN_OR_RETURN(std::optional<Region> paying_region,
                   Optional(v, p, "payingRegion", ReadRegion));
  return PaymentIssued{.project = std::move(project),
                       .tranche = tranche,
                       .amount_cents = amount_cents,
                       .paid_at = paid_at,
                       .reference = std::move(reference),
                       .paying_region = std::move(paying_region)};
}

Result<IndicatorMeasured> ReadData(const Json& v, const std::string& p,
                                   Tag<IndicatorMeasured>) {
  RETURN_IF_ERROR(ExpectObject(
      v, p,
      {"finess", "periodStart", "periodEnd", "personsAccompanied",
       "activeFiles", "activeFilesWithPlan", "activeFilesWithAgendaEvent",
       "personsEligible", "mssanteMessages", "dmpFed", "ePrescriptionImports",
       "eParcoursExchanges", "soclePeriodStart", "dmpDocuments"}));
  ASSIGN_OR_RETURN(Finess finess, Required(v, p, "finess", ReadFiness));
  ASSIGN_OR_RETURN(Date period_start, Required(v, p, "periodStart", ReadDate));
  ASSIGN_OR_RETURN(Date period_end, Required(v, p, "periodEnd", ReadDate));
  ASSIGN_OR_RETURN(int64_t persons,
                   Required(v, p, "personsAccompanied", ReadCount));
  ASSIGN_OR_RETURN(int64_t active, Required(v, p, "activeFiles", ReadCount));
  ASSIGN_OR_RETURN(int64_t with_plan,
                   Required(v, p, "activeFilesWithPlan", ReadCount));
  ASSIGN_OR_RETURN(int64_t with_agenda,
                   Required(v, p, "activeFilesWithAgendaEvent", ReadCount));
  ASSIGN_OR_RETURN(std::optional<int64_t> eligible,
                   Optional(v, p, "personsEligible", ReadCount));
  ASSIGN_OR_RETURN(int64_t mssante,
                   Required(v, p, "mssanteMessages", ReadCount));
  ASSIGN_OR_RETURN(int64_t dmp_fed, Required(v, p, "dmpFed", ReadCount));
  ASSIGN_OR_RETURN(std::optional<int64_t> e_prescription,
                   Optional(v, p, "ePrescriptionImports", ReadCount));
  ASSIGN_OR_RETURN(std::optional<int64_t> e_parcours,
                   Optional(v, p, "eParcoursExchanges", ReadCount));
  ASSIGN_OR_RETURN(std::optional<Date> socle_period_start,
                   Optional(v, p, "soclePeriodStart", ReadDate));
  ASSIGN_OR_RETURN(std::optional<int64_t> dmp_documents,
                   Optional(v, p, "dmpDocuments", ReadCount));
  return IndicatorMeasured{.finess = std::move(finess),
                           .period_start = period_start,
                           .period_end = period_end,
                           .persons_accompanied = persons,
                           .active_files = active,
                           .active_files_with_plan = with_plan,
                           .active_files_with_agenda_event = with_agenda,
                           .persons_eligible = eligible,
                           .mssante_messages = mssante,
                           .dmp_fed = dmp_fed,
                           .e_prescription_imports = e_prescription,
                           .e_parcours_exchanges = e_parcours,
                           .socle_period_start = socle_period_start,
                           .dmp_documents = dmp_documents};
}

Result<GrappeExtended> ReadData(const Json& v, const std::string& p,
                                Tag<GrappeExtended>) {
  RETURN_IF_ERROR(
      ExpectObject(v, p,
                   {"project", "extendedAt", "porteurAgreement", "payingRegion",
                    "organisations", "establishments"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Date extended_at, Required(v, p, "extendedAt", ReadDate));
  ASSIGN_OR_RETURN(bool agreement,
                   Required(v, p, "porteurAgreement", ReadBool));
  ASSIGN_OR_RETURN(Region paying_region,
                   Required(v, p, "payingRegion", ReadRegion));
  ASSIGN_OR_RETURN(std::vector<OrganisationEntry> organisations,
                   Required(v, p, "organisations", ListOf(ReadOrganisation)));
  ASSIGN_OR_RETURN(std::vector<EstablishmentEntry> establishments,
                   Required(v, p, "establishments", ListOf(ReadEstablishment)));
  return GrappeExtended{.project = std::move(project),
                        .extended_at = extended_at,
                        .porteur_agreement = agreement,
                        .paying_region = std::move(paying_region),
                        .organisations = std::move(organisations),
                        .establishments = std::move(establishments)};
}

Result<FinessChanged> ReadData(const Json& v, const std::string& p,
                               Tag<FinessChanged>) {
  RETURN_IF_ERROR(ExpectObject(v, p, {"from", "to", "kind", "effectiveAt"}));
  ASSIGN_OR_RETURN(Finess from, Required(v, p, "from", ReadFiness));
  ASSIGN_OR_RETURN(Finess to, Required(v, p, "to", ReadFiness));
  ASSIGN_OR_RETURN(FinessChangeKind kind,
                   Required(v, p, "kind", ReadEnum<kFinessChangeKindNames>));
  ASSIGN_OR_RETURN(Date effective_at, Required(v, p, "effectiveAt", ReadDate));
  return FinessChanged{.from = std::move(from),
                       .to = std::move(to),
                       .kind = kind,
                       .effective_at = effective_at};
}

Result<SonsOrdered> ReadData(const Json& v, const std::string& p,
                             Tag<SonsOrdered>) {
  RETURN_IF_ERROR(
      ExpectObject(v, p, {"finess", "solution", "orderedAt", "validatedAt"}));
  ASSIGN_OR_RETURN(Finess finess, Required(v, p, "finess", ReadFiness));
  ASSIGN_OR_RETURN(Solution solution, Required(v, p, "solution", ReadSolution));
  ASSIGN_OR_RETURN(Date ordered_at, Required(v, p, "orderedAt", ReadDate));
  ASSIGN_OR_RETURN(std::optional<Date> validated_at,
                   Optional(v, p, "validatedAt", ReadDate));
  return SonsOrdered{.finess = std::move(finess),
                     .solution = std::move(solution),
                     .ordered_at = ordered_at,
                     .validated_at = validated_at};
}

Result<EuFundingDeclared> ReadData(const Json& v, const std::string& p,
                                   Tag<EuFundingDeclared>) {
  RETURN_IF_ERROR(
      ExpectObject(v, p, {"finess", "fund", "operation", "declaredAt"}));
  ASSIGN_OR_RETURN(Finess finess, Required(v, p, "finess", ReadFiness));
  ASSIGN_OR_RETURN(EuFund fund, Required(v, p, "fund", ReadEnum<kEuFundNames>));
  ASSIGN_OR_RETURN(EuOperation operation,
                   Required(v, p, "operation", ReadEnum<kEuOperationNames>));
  ASSIGN_OR_RETURN(Date declared_at, Required(v, p, "declaredAt", ReadDate));
  return EuFundingDeclared{.finess = std::move(finess),
                           .fund = fund,
                           .operation = operation,
                           .declared_at = declared_at};
}

Result<ExpensesCertified> ReadData(const Json& v, const std::string& p,
                                   Tag<ExpensesCertified>) {
  RETURN_IF_ERROR(ExpectObject(v, p,
                               {"project", "totalCents", "equipmentCents",
                                "certifiedBy", "certifiedAt"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(int64_t total_cents,
                   Required(v, p, "totalCents", ReadCount));
  ASSIGN_OR_RETURN(int64_t equipment_cents,
                   Required(v, p, "equipmentCents", ReadCount));
  ASSIGN_OR_RETURN(Certifier certified_by,
                   Required(v, p, "certifiedBy", ReadEnum<kCertifierNames>));
  ASSIGN_OR_RETURN(Date certified_at, Required(v, p, "certifiedAt", ReadDate));
  return ExpensesCertified{.project = std::move(project),
                           .total_cents = total_cents,
                           .equipment_cents = equipment_cents,
                           .certified_by = certified_by,
                           .certified_at = certified_at};
}

Result<SolutionReferenced> ReadData(const Json& v, const std::string& p,
                                    Tag<SolutionReferenced>) {
  RETURN_IF_ERROR(
      ExpectObject(v, p, {"solution", "corridor", "status", "referencedAt"}));
  ASSIGN_OR_RETURN(Solution solution, Required(v, p, "solution", ReadSolution));
  ASSIGN_OR_RETURN(std::string corridor,
                   Required(v, p, "corridor", ReadString));
  ASSIGN_OR_RETURN(SolutionStatus status,
                   Required(v, p, "status", ReadEnum<kSolutionStatusNames>));
  ASSIGN_OR_RETURN(Date referenced_at,
                   Required(v, p, "referencedAt", ReadDate));
  return SolutionReferenced{.solution = std::move(solution),
                            .corridor = std::move(corridor),
                            .status = status,
                            .referenced_at = referenced_at};
}

Result<TargetsAdjusted> ReadData(const Json& v, const std::string& p,
                                 Tag<TargetsAdjusted>) {
  RETURN_IF_ERROR(ExpectObject(
      v, p, {"finess", "denominator", "indicators", "effectiveFrom", "reason"}));
  ASSIGN_OR_RETURN(Finess finess, Required(v, p, "finess", ReadFiness));
  ASSIGN_OR_RETURN(int64_t denominator,
                   Required(v, p, "denominator", ReadCount));
  ASSIGN_OR_RETURN(std::vector<AdjustedIndicator> indicators,
                   Required(v, p, "indicators", ListOf(ReadEnum<kAdjustedIndicatorNames>)));
  if (indicators.empty()) {
    return Status::BadInput(JoinPath(p, "indicators") + ": name at least one indicator");
  }
  ASSIGN_OR_RETURN(Date effective_from, Required(v, p, "effectiveFrom", ReadDate));
  ASSIGN_OR_RETURN(std::string reason, Required(v, p, "reason", ReadString));
  return TargetsAdjusted{.finess = std::move(finess),
                         .denominator = denominator,
                         .reason = std::move(reason),
                         .indicators = std::move(indicators),
                         .effective_from = effective_from};
}

Result<InvoiceReceived> ReadData(const Json& v, const std::string& p, Tag<InvoiceReceived>) {
  RETURN_IF_ERROR(ExpectObject(v, p,
                               {"project", "tranche", "amountCents", "receivedAt", "reference"}));
  ASSIGN_OR_RETURN(std::string project, Required(v, p, "project", ReadString));
  ASSIGN_OR_RETURN(Tranche tranche, Required(v, p, "tranche", ReadEnum<kTrancheNames>));
  ASSIGN_OR_RETURN(int64_t amount_cents, Required(v, p, "amountCents", ReadCount));
  ASSIGN_OR_RETURN(Date received_at, Required(v, p, "receivedAt", ReadDate));
  ASSIGN_OR_RETURN(std::string reference, Required(v, p, "reference", ReadString));
  return InvoiceReceived{.project = std::move(project),
                         .tranche = tranche,
                         .amount_cents = amount_cents,
                         .received_at = received_at,
                         .reference = std::move(reference)};
}

Result<FundingRecorded> ReadData(const Json& v, const std::string& p, Tag<FundingRecorded>) {
  RETURN_IF_ERROR(ExpectObject(v, p,
                               {"finess", "campaign", "solution", "operation", "amountCents",
                                "grantedAt"}));
  ASSIGN_OR_RETURN(Finess finess, Required(v, p, "finess", ReadFiness));
  ASSIGN_OR_RETURN(std::string campaign, Required(v, p, "campaign", ReadString));
  ASSIGN_OR_RETURN(Solution solution, Required(v, p, "solution", ReadSolution));
  ASSIGN_OR_RETURN(EuOperation operation,
                   Required(v, p, "operation", ReadEnum<kEuOperationNames>));
  ASSIGN_OR_RETURN(int64_t amount_cents, Required(v, p, "amountCents", ReadCount));
  ASSIGN_OR_RETURN(Date granted_at, Required(v, p, "grantedAt", ReadDate));
  return FundingRecorded{.finess = std::move(finess),
                         .campaign = std::move(campaign),
                         .solution = std::move(solution),
                         .operation = operation,
                         .amount_cents = amount_cents,
                         .granted_at = granted_at};
}

Result<KeyEnrolled> ReadData(const Json& v, const std::string& p,
                             Tag<KeyEnrolled>) {
  RETURN_IF_ERROR(
      ExpectObject(v, p, {"name", "publicKey", "roles", "regions"}));
  ASSIGN_OR_RETURN(std::string name, Required(v, p, "name", ReadString));
  ASSIGN_OR_RETURN(auto public_key, Required(v, p, "publicKey", ReadPublicKey));
  ASSIGN_OR_RETURN(std::vector<Role> roles,
                   Required(v, p, "roles", ListOf(ReadEnum<kRoleNames>)));
  ASSIGN_OR_RETURN(std::vector<Region> regions,
                   Required(v, p, "regions", ListOf(ReadRegion)));
  return KeyEnrolled{.name = std::move(name),
                     .public_key = public_key,
                     .roles = std::move(roles),
                     .regions = std::move(regions)};
}

Result<KeyRevoked> ReadData(const Json& v, const std::string& p,
                            Tag<KeyRevoked>) {
  RETURN_IF_ERROR(ExpectObject(v, p, {"name", "reason"}));
  ASSIGN_OR_RETURN(std::string name, Required(v, p, "name", ReadString));
  ASSIGN_OR_RETURN(std::string reason, Required(v, p, "reason", ReadString));
  return KeyRevoked{.name = std::move(name), .reason = std::move(reason)};
}

Result<EventVoided> ReadData(const Json& v, const std::string& p,
                             Tag<EventVoided>) {
  RETURN_IF_ERROR(ExpectObject(v, p, {"seq", "reason"}));
  ASSIGN_OR_RETURN(uint64_t seq, Required(v, p, "seq", ReadUnsigned));
  ASSIGN_OR_RETURN(std::string reason, Required(v, p, "reason", ReadString));
  return EventVoided{.seq = seq, .reason = std::move(reason)};
}

// True when some alternative of EventData has kType == type.
template <size_t I = 0>
bool IsKnownType(std::string_view type) {
  if constexpr (I == std::variant_size_v<EventData>) {
    return false;
  } else {
    return std::variant_alternative_t<I, EventData>::kType == type ||
           IsKnownType<I + 1>(type);
  }
}

template <size_t I = 0>
std::string TypeList() {
  if constexpr (I == std::variant_size_v<EventData>) {
    return std::string();
  } else {
    std::string rest = TypeList<I + 1>();
    return std::string(std::variant_alternative_t<I, EventData>::kType) +
           (rest.empty() ? "" : ", ") + rest;
  }
}

// Reads `value` as the data of `type` (a known type).
template <size_t I = 0>
Result<EventData> ReadDataOfType(std::string_view type, const Json& value) {
  if constexpr (I == std::variant_size_v<EventData>) {
    return Status::Internal("no reader for event type " + Quote(type));
  } else {
    using T = std::variant_alternative_t<I, EventData>;
    if (T::kType != type) return ReadDataOfType<I + 1>(type, value);
    ASSIGN_OR_RETURN(T data, ReadData(value, "data", Tag<T>{}));
    return EventData(std::move(data));
  }
}

// ============================================================== writing

void Put(OrderedJson& out, const char* key, Date date) {
  out[key] = date.ToString();
}

template <typename T>
void PutOptional(OrderedJson& out, const char* key,
                 const std::optional<T>& value) {
  if (value) out[key] = *value;
}

OrderedJson ToJson(const Solution& solution) {
  OrderedJson out = OrderedJson::object();
  out["vendor"] = solution.vendor;
  out["product"] = solution.product;
  out["version"] = solution.version;
  return out;
}

OrderedJson ToJson(const OrganisationEntry& og) {
  OrderedJson out = OrderedJson::object();
  out["finessEj"] = og.finess_ej.str();
  out["name"] = og.name;
  out["essmsTotal"] = og.essms_total;
  out["region"] = og.region.code();
  return out;
}

OrderedJson ToJson(const EstablishmentEntry& et) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = et.finess.str();
  out["finessEj"] = et.finess_ej.str();
  out["name"] = et.name;
  out["region"] = et.region.code();
  out["situation"] = ToString(et.situation);
  if (et.saad_hours) {
    OrderedJson saad = OrderedJson::object();
    saad["total"] = et.saad_hours->total;
    saad["eligible"] = et.saad_hours->eligible;
    out["saadHours"] = std::move(saad);
  }
  PutOptional(out, "equipmentQuoteCents", et.equipment_quote_cents);
  return out;
}

template <typename T>
OrderedJson ListToJson(const std::vector<T>& items) {
  OrderedJson out = OrderedJson::array();
  for (const T& item : items) out.push_back(ToJson(item));
  return out;
}

OrderedJson ToJson(const ProjectSubmitted& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  out["campaign"] = CampaignId(e.campaign);
  OrderedJson porteur = OrderedJson::object();
  porteur["finessEj"] = e.porteur.finess_ej.str();
  porteur["siret"] = e.porteur.siret.str();
  porteur["name"] = e.porteur.name;
  PutOptional(porteur, "ght", e.porteur.ght);
  PutOptional(porteur, "nationalEntityAgreement",
              e.porteur.national_entity_agreement);
  out["porteur"] = std::move(porteur);
  out["kind"] = ToString(e.kind);
  out["solution"] = ToJson(e.solution);
  out["organisations"] = ListToJson(e.organisations);
  out["establishments"] = ListToJson(e.establishments);
  PutOptional(out, "amoaRequestedCents", e.amoa_requested_cents);
  Put(out, "submittedAt", e.submitted_at);
  if (e.usage_commitments) {
    const UsageCommitments& c = *e.usage_commitments;
    OrderedJson commitments = OrderedJson::object();
    commitments["activeFilesRate"] = c.active_files_rate;
    commitments["planRate"] = c.plan_rate;
    commitments["agendaRate"] = c.agenda_rate;
    PutOptional(commitments, "mssanteMessages", c.mssante_messages);
    PutOptional(commitments, "dmpDocuments", c.dmp_documents);
    PutOptional(commitments, "ePrescriptionImports", c.e_prescription_imports);
    PutOptional(commitments, "eParcoursExchanges", c.e_parcours_exchanges);
    out["usageCommitments"] = std::move(commitments);
  }
  return out;
}

OrderedJson ToJson(const ProjectSelected& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  Put(out, "committeeAt", e.committee_at);
  return out;
}

OrderedJson ToJson(const ProjectRejected& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  out["reason"] = e.reason;
  return out;
}

OrderedJson ToJson(const ConventionSigned& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  Put(out, "signedAt", e.signed_at);
  out["amountCents"] = e.amount_cents;
  OrderedJson establishments = OrderedJson::array();
  for (const Finess& finess : e.establishments)
    establishments.push_back(finess.str());
  out["establishments"] = std::move(establishments);
  out["durationMonths"] = e.duration_months;
  return out;
}

OrderedJson ToJson(const PaymentIssued& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  out["tranche"] = ToString(e.tranche);
  out["amountCents"] = e.amount_cents;
  Put(out, "paidAt", e.paid_at);
  out["reference"] = e.reference;
  if (e.paying_region) out["payingRegion"] = e.paying_region->code();
  return out;
}

OrderedJson ToJson(const IndicatorMeasured& e) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = e.finess.str();
  Put(out, "periodStart", e.period_start);
  Put(out, "periodEnd", e.period_end);
  out["personsAccompanied"] = e.persons_accompanied;
  out["activeFiles"] = e.active_files;
  out["activeFilesWithPlan"] = e.active_files_with_plan;
  out["activeFilesWithAgendaEvent"] = e.active_files_with_agenda_event;
  PutOptional(out, "personsEligible", e.persons_eligible);
  out["mssanteMessages"] = e.mssante_messages;
  out["dmpFed"] = e.dmp_fed;
  PutOptional(out, "ePrescriptionImports", e.e_prescription_imports);
  PutOptional(out, "eParcoursExchanges", e.e_parcours_exchanges);
  if (e.socle_period_start) Put(out, "soclePeriodStart", *e.socle_period_start);
  PutOptional(out, "dmpDocuments", e.dmp_documents);
  return out;
}

OrderedJson ToJson(const GrappeExtended& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  Put(out, "extendedAt", e.extended_at);
  out["porteurAgreement"] = e.porteur_agreement;
  out["payingRegion"] = e.paying_region.code();
  out["organisations"] = ListToJson(e.organisations);
  out["establishments"] = ListToJson(e.establishments);
  return out;
}

OrderedJson ToJson(const FinessChanged& e) {
  OrderedJson out = OrderedJson::object();
  out["from"] = e.from.str();
  out["to"] = e.to.str();
  out["kind"] = ToString(e.kind);
  Put(out, "effectiveAt", e.effective_at);
  return out;
}

OrderedJson ToJson(const SonsOrdered& e) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = e.finess.str();
  out["solution"] = ToJson(e.solution);
  Put(out, "orderedAt", e.ordered_at);
  if (e.validated_at) Put(out, "validatedAt", *e.validated_at);
  return out;
}

OrderedJson ToJson(const EuFundingDeclared& e) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = e.finess.str();
  out["fund"] = ToString(e.fund);
  out["operation"] = ToString(e.operation);
  Put(out, "declaredAt", e.declared_at);
  return out;
}

OrderedJson ToJson(const ExpensesCertified& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  out["totalCents"] = e.total_cents;
  out["equipmentCents"] = e.equipment_cents;
  out["certifiedBy"] = ToString(e.certified_by);
  Put(out, "certifiedAt", e.certified_at);
  return out;
}

OrderedJson ToJson(const SolutionReferenced& e) {
  OrderedJson out = OrderedJson::object();
  out["solution"] = ToJson(e.solution);
  out["corridor"] = e.corridor;
  out["status"] = ToString(e.status);
  Put(out, "referencedAt", e.referenced_at);
  return out;
}

OrderedJson ToJson(const TargetsAdjusted& e) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = e.finess.str();
  out["denominator"] = e.denominator;
  if (!e.indicators.empty()) {
    OrderedJson indicators = OrderedJson::array();
    for (AdjustedIndicator i : e.indicators) indicators.push_back(ToString(i));
    out["indicators"] = std::move(indicators);
  }
  if (e.effective_from) Put(out, "effectiveFrom", *e.effective_from);
  out["reason"] = e.reason;
  return out;
}

OrderedJson ToJson(const InvoiceReceived& e) {
  OrderedJson out = OrderedJson::object();
  out["project"] = e.project;
  out["tranche"] = ToString(e.tranche);
  out["amountCents"] = e.amount_cents;
  Put(out, "receivedAt", e.received_at);
  out["reference"] = e.reference;
  return out;
}

OrderedJson ToJson(const FundingRecorded& e) {
  OrderedJson out = OrderedJson::object();
  out["finess"] = e.finess.str();
  out["campaign"] = e.campaign;
  out["solution"] = ToJson(e.solution);
  out["operation"] = ToString(e.operation);
  out["amountCents"] = e.amount_cents;
  Put(out, "grantedAt", e.granted_at);
  return out;
}

OrderedJson ToJson(const KeyEnrolled& e) {
  OrderedJson out = OrderedJson::object();
  out["name"] = e.name;
  out["publicKey"] = Base64Encode(e.public_key);
  OrderedJson roles = OrderedJson::array();
  for (Role role : e.roles) roles.push_back(ToString(role));
  out["roles"] = std::move(roles);
  OrderedJson regions = OrderedJson::array();
  for (const Region& region : e.regions) regions.push_back(region.code());
  out["regions"] = std::move(regions);
  return out;
}

OrderedJson ToJson(const KeyRevoked& e) {
  OrderedJson out = OrderedJson::object();
  out["name"] = e.name;
  out["reason"] = e.reason;
  return out;
}

OrderedJson ToJson(const EventVoided& e) {
  OrderedJson out = OrderedJson::object();
  out["seq"] = e.seq;
  out["reason"] = e.reason;
  return out;
}

OrderedJson DataToJsonValue(const EventData& data) {
  return std::visit([](const auto& value) { return ToJson(value); }, data);
}

// Compact text; text that is not valid UTF-8 (only code, never the parser, can
// make such a struct) is replaced rather than thrown on.
std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    OrderedJson::error_handler_t::replace);
}

}  // namespace

Result<Event> ParseEventJson(std::string_view json_text) {
  ASSIGN_OR_RETURN(Json root, ParseStrict(json_text));
  RETURN_IF_ERROR(ExpectObject(
      root, std::string(), {"id", "type", "at", "expectedVersion", "data"}));
  const std::string top;
  ASSIGN_OR_RETURN(std::string id, Required(root, top, "id", ReadString));
  if (!IsValidIdentifier(id)) {
    return Status::BadInput(
        "id: an event id is 1-128 characters of [A-Za-z0-9._:/-], got " +
        Quote(id));
  }
  ASSIGN_OR_RETURN(std::string type, Required(root, top, "type", ReadString));
  if (!IsKnownType(type)) {
    return Status::BadInput(
        "type: " + Quote(type) +
        " is not an event type (expected one of: " + TypeList() + ")");
  }
  ASSIGN_OR_RETURN(Date at, Required(root, top, "at", ReadDate));
  ASSIGN_OR_RETURN(std::optional<uint64_t> expected_version,
                   Optional(root, top, "expectedVersion", ReadUnsigned));
  const auto data_it = root.find("data");
  if (data_it == root.end()) return Status::BadInput("data: missing");
  ASSIGN_OR_RETURN(EventData data, ReadDataOfType(type, *data_it));
  RETURN_IF_ERROR(ValidateEventData(data));
  std::string stream = StreamOf(data);
  return Event{.id = std::move(id),
               .type = std::move(type),
               .at = at,
               .expected_version = expected_version,
               .stream = std::move(stream),
               .data = std::move(data)};
}

std::string DataToJsonText(const EventData& data) {
  return Dump(DataToJsonValue(data));
}

std::string EventToJsonText(const Event& event) {
  OrderedJson out = OrderedJson::object();
  out["id"] = event.id;
  out["type"] = event.type;
  out["at"] = event.at.ToString();
  if (event.expected_version) out["expectedVersion"] = *event.expected_version;
  out["data"] = DataToJsonValue(event.data);
  return Dump(out);
}

}  // namespace esms::domain::internal
