// Typed events <-> canonical Cap'n Proto payloads (domain/events.capnp).
//
// Every Cap'n Proto call that reads bytes runs inside one try block in
// DecodeCapnpPayload: a kj::Exception (truncated or malformed message, limits
// exceeded) becomes Status::DataLoss there and never leaves this file.
#include "domain/internal/event_capnp.h"

#include <capnp/message.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "domain/events.capnp.h"
#include "domain/internal/enum_names.h"
#include "domain/internal/text.h"

namespace esms::domain::internal {
namespace {

namespace w = ::esms::domain::wire;

// The wire enums mirror the domain enums ordinal for ordinal.
template <typename Wire, typename Domain>
constexpr bool SameOrdinal(Wire wire, Domain domain) {
  return static_cast<int>(wire) == static_cast<int>(domain);
}
static_assert(SameOrdinal(w::Campaign::AMORCAGE2021, Campaign::kAmorcage2021));
static_assert(SameOrdinal(w::Campaign::GENERALISATION2023,
                          Campaign::kGeneralisation2023));
static_assert(SameOrdinal(w::Campaign::GENERALISATION2024,
                          Campaign::kGeneralisation2024));
static_assert(SameOrdinal(w::Campaign::GENERALISATION2025,
                          Campaign::kGeneralisation2025));
static_assert(SameOrdinal(w::ProjectKind::MIXED, ProjectKind::kMixed));
static_assert(SameOrdinal(w::ProjectKind::USAGE, ProjectKind::kUsage));
static_assert(SameOrdinal(w::Situation::UPGRADE, Situation::kUpgrade));
static_assert(SameOrdinal(w::Tranche::BALANCE, Tranche::kBalance));
static_assert(SameOrdinal(w::Tranche::PARAMETRISATION,
                          Tranche::kParametrisation));
static_assert(SameOrdinal(w::Tranche::DEPLOYMENT, Tranche::kDeployment));
static_assert(SameOrdinal(w::EuFund::FSE, EuFund::kFse));
static_assert(SameOrdinal(w::EuFund::HOPEN, EuFund::kHopen));
static_assert(SameOrdinal(w::EuFund::OTHER, EuFund::kOther));
static_assert(SameOrdinal(w::EuOperation::UPGRADE, EuOperation::kUpgrade));
static_assert(SameOrdinal(w::FinessChangeKind::MERGER,
                          FinessChangeKind::kMerger));
static_assert(SameOrdinal(w::Certifier::STATUTORY_AUDITOR,
                          Certifier::kStatutoryAuditor));
static_assert(SameOrdinal(w::SolutionStatus::REFERENCED,
                          SolutionStatus::kReferenced));

template <typename Wire, typename Domain>
Wire ToWire(Domain value) {
  return static_cast<Wire>(static_cast<uint16_t>(value));
}

// ---------------------------------------------------------------- encoding

capnp::Text::Reader AsText(const std::string& text) {
  return capnp::Text::Reader(text.data(), text.size());
}

int32_t DayNumber(Date date) { return static_cast<int32_t>(date.days()); }

void Write(const Solution& from, w::Solution::Builder to) {
  to.setVendor(AsText(from.vendor));
  to.setProduct(AsText(from.product));
  to.setVersion(AsText(from.version));
}

void Write(const Porteur& from, w::Porteur::Builder to) {
  to.setFinessEj(AsText(from.finess_ej.str()));
  to.setSiret(AsText(from.siret.str()));
  to.setName(AsText(from.name));
  if (from.ght) {
    to.setHasGht(true);
    to.setGht(*from.ght);
  }
  if (from.national_entity_agreement) {
    to.setHasNationalEntityAgreement(true);
    to.setNationalEntityAgreement(*from.national_entity_agreement);
  }
}

void Write(const OrganisationEntry& from, w::Organisation::Builder to) {
  to.setFinessEj(AsText(from.finess_ej.str()));
  to.setName(AsText(from.name));
  to.setEssmsTotal(from.essms_total);
  to.setRegion(AsText(from.region.code()));
}

void Write(const EstablishmentEntry& from, w::Establishment::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  to.setFinessEj(AsText(from.finess_ej.str()));
  to.setName(AsText(from.name));
  to.setRegion(AsText(from.region.code()));
  to.setSituation(ToWire<w::Situation>(from.situation));
  if (from.saad_hours) {
    auto saad = to.initSaadHours();
    saad.setTotal(from.saad_hours->total);
    saad.setEligible(from.saad_hours->eligible);
  }
  if (from.equipment_quote_cents) {
    to.setHasEquipmentQuoteCents(true);
    to.setEquipmentQuoteCents(*from.equipment_quote_cents);
  }
}

template <typename Entry, typename ListBuilder>
void WriteList(const std::vector<Entry>& from, ListBuilder to) {
  for (size_t i = 0; i < from.size(); ++i)
    Write(from[i], to[static_cast<unsigned>(i)]);
}

void Write(const ProjectSubmitted& from, w::ProjectSubmitted::Builder to) {
  to.setProject(AsText(from.project));
  to.setCampaign(ToWire<w::Campaign>(from.campaign));
  Write(from.porteur, to.initPorteur());
  to.setKind(ToWire<w::ProjectKind>(from.kind));
  Write(from.solution, to.initSolution());
  WriteList(
      from.organisations,
      to.initOrganisations(static_cast<unsigned>(from.organisations.size())));
  WriteList(
      from.establishments,
      to.initEstablishments(static_cast<unsigned>(from.establishments.size())));
  if (from.amoa_requested_cents) {
    to.setHasAmoaRequestedCents(true);
    to.setAmoaRequestedCents(*from.amoa_requested_cents);
  }
  to.setSubmittedAt(DayNumber(from.submitted_at));
  if (from.usage_commitments) {
    const UsageCommitments& c = *from.usage_commitments;
    auto out = to.initUsageCommitments();
    out.setActiveFilesRate(c.active_files_rate);
    out.setPlanRate(c.plan_rate);
    out.setAgendaRate(c.agenda_rate);
    if (c.mssante_messages) {
      out.setHasMssanteMessages(true);
      out.setMssanteMessages(*c.mssante_messages);
    }
    if (c.dmp_documents) {
      out.setHasDmpDocuments(true);
      out.setDmpDocuments(*c.dmp_documents);
    }
    if (c.e_prescription_imports) {
      out.setHasEPrescriptionImports(true);
      out.setEPrescriptionImports(*c.e_prescription_imports);
    }
    if (c.e_parcours_exchanges) {
      out.setHasEParcoursExchanges(true);
      out.setEParcoursExchanges(*c.e_parcours_exchanges);
    }
  }
}

void Write(const ProjectSelected& from, w::ProjectSelected::Builder to) {
  to.setProject(AsText(from.project));
  to.setCommitteeAt(DayNumber(from.committee_at));
}

void Write(const ProjectRejected& from, w::ProjectRejected::Builder to) {
  to.setProject(AsText(from.project));
  to.setReason(AsText(from.reason));
}

void Write(const ConventionSigned& from, w::ConventionSigned::Builder to) {
  to.setProject(AsText(from.project));
  to.setSignedAt(DayNumber(from.signed_at));
  to.setAmountCents(from.amount_cents);
  auto list =
      to.initEstablishments(static_cast<unsigned>(from.establishments.size()));
  for (size_t i = 0; i < from.establishments.size(); ++i) {
    list.set(static_cast<unsigned>(i), AsText(from.establishments[i].str()));
  }
  to.setDurationMonths(from.duration_months);
}

void Write(const PaymentIssued& from, w::PaymentIssued::Builder to) {
  to.setProject(AsText(from.project));
  to.setTranche(ToWire<w::Tranche>(from.tranche));
  to.setAmountCents(from.amount_cents);
  to.setPaidAt(DayNumber(from.paid_at));
  to.setReference(AsText(from.reference));
  if (from.paying_region) {
    to.setHasPayingRegion(true);
    to.setPayingRegion(AsText(from.paying_region->code()));
  }
}

void Write(const IndicatorMeasured& from, w::IndicatorMeasured::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  to.setPeriodStart(DayNumber(from.period_start));
  to.setPeriodEnd(DayNumber(from.period_end));
  to.setPersonsAccompanied(from.persons_accompanied);
  to.setActiveFiles(from.active_files);
  to.setActiveFilesWithPlan(from.active_files_with_plan);
  to.setActiveFilesWithAgendaEvent(from.active_files_with_agenda_event);
  if (from.persons_eligible) {
    to.setHasPersonsEligible(true);
    to.setPersonsEligible(*from.persons_eligible);
  }
  to.setMssanteMessages(from.mssante_messages);
  to.setDmpFed(from.dmp_fed);
  if (from.e_prescription_imports) {
    to.setHasEPrescriptionImports(true);
    to.setEPrescriptionImports(*from.e_prescription_imports);
  }
  if (from.e_parcours_exchanges) {
    to.setHasEParcoursExchanges(true);
    to.setEParcoursExchanges(*from.e_parcours_exchanges);
  }
  if (from.socle_period_start) {
    to.setHasSoclePeriodStart(true);
    to.setSoclePeriodStart(DayNumber(*from.socle_period_start));
  }
  if (from.dmp_documents) {
    to.setHasDmpDocuments(true);
    to.setDmpDocuments(*from.dmp_documents);
  }
}

void Write(const GrappeExtended& from, w::GrappeExtended::Builder to) {
  to.setProject(AsText(from.project));
  to.setExtendedAt(DayNumber(from.extended_at));
  to.setPorteurAgreement(from.porteur_agreement);
  to.setPayingRegion(AsText(from.paying_region.code()));
  WriteList(
      from.organisations,
      to.initOrganisations(static_cast<unsigned>(from.organisations.size())));
  WriteList(
      from.establishments,
      to.initEstablishments(static_cast<unsigned>(from.establishments.size())));
}

void Write(const FinessChanged& from, w::FinessChanged::Builder to) {
  to.setFrom(AsText(from.from.str()));
  to.setTo(AsText(from.to.str()));
  to.setKind(ToWire<w::FinessChangeKind>(from.kind));
  to.setEffectiveAt(DayNumber(from.effective_at));
}

void Write(const SonsOrdered& from, w::SonsOrdered::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  Write(from.solution, to.initSolution());
  to.setOrderedAt(DayNumber(from.ordered_at));
  if (from.validated_at) {
    to.setHasValidatedAt(true);
    to.setValidatedAt(DayNumber(*from.validated_at));
  }
}

void Write(const EuFundingDeclared& from, w::EuFundingDeclared::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  to.setFund(ToWire<w::EuFund>(from.fund));
  to.setOperation(ToWire<w::EuOperation>(from.operation));
  to.setDeclaredAt(DayNumber(from.declared_at));
}

void Write(const ExpensesCertified& from, w::ExpensesCertified::Builder to) {
  to.setProject(AsText(from.project));
  to.setTotalCents(from.total_cents);
  to.setEquipmentCents(from.equipment_cents);
  to.setCertifiedBy(ToWire<w::Certifier>(from.certified_by));
  to.setCertifiedAt(DayNumber(from.certified_at));
}

void Write(const SolutionReferenced& from, w::SolutionReferenced::Builder to) {
  Write(from.solution, to.initSolution());
  to.setCorridor(AsText(from.corridor));
  to.setStatus(ToWire<w::SolutionStatus>(from.status));
  to.setReferencedAt(DayNumber(from.referenced_at));
}

void Write(const TargetsAdjusted& from, w::TargetsAdjusted::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  to.setDenominator(from.denominator);
  to.setReason(AsText(from.reason));
  // Null when empty: the byte form of the records written before issue 13.
  if (!from.indicators.empty()) {
    auto list = to.initIndicators(static_cast<unsigned>(from.indicators.size()));
    for (size_t i = 0; i < from.indicators.size(); ++i) {
      list.set(static_cast<unsigned>(i), ToWire<w::AdjustedIndicator>(from.indicators[i]));
    }
  }
  if (from.effective_from) {
    to.setHasEffectiveFrom(true);
    to.setEffectiveFrom(DayNumber(*from.effective_from));
  }
}

void Write(const InvoiceReceived& from, w::InvoiceReceived::Builder to) {
  to.setProject(AsText(from.project));
  to.setTranche(ToWire<w::Tranche>(from.tranche));
  to.setAmountCents(from.amount_cents);
  to.setReceivedAt(DayNumber(from.received_at));
  to.setReference(AsText(from.reference));
}

void Write(const FundingRecorded& from, w::FundingRecorded::Builder to) {
  to.setFiness(AsText(from.finess.str()));
  to.setCampaign(AsText(from.campaign));
  Write(from.solution, to.initSolution());
  to.setOperation(ToWire<w::EuOperation>(from.operation));
  to.setAmountCents(from.amount_cents);
  to.setGrantedAt(DayNumber(from.granted_at));
}

void Write(const EventVoided& from, w::EventVoided::Builder to) {
  to.setSeq(from.seq);
  to.setReason(AsText(from.reason));
}

// ---------------------------------------------------------------- decoding
// Each Read returns Status::DataLoss naming the field
// ("establishments[2].finess: ...") for a value that cannot come from
// EncodeCapnpPayload.

Status Corrupt(std::string_view field, std::string_view why) {
  return Status::DataLoss(std::string(field) + ": " + std::string(why));
}

std::string TextOf(capnp::Text::Reader text) {
  return std::string(text.begin(), text.size());
}

Result<Date> ReadDate(int32_t days, std::string_view field) {
  // Date::Parse accepts years 0000-9999 only; so does the decoder.
  static const int64_t kFirst = Date::FromCivil(0, 1, 1)->days();
  static const int64_t kLast = Date::FromCivil(9999, 12, 31)->days();
  if (days < kFirst || days > kLast) {
    return Corrupt(field,
                   "day number " + std::to_string(days) + " is out of range");
  }
  return Date::FromDays(days);
}

Result<Finess> ReadFiness(capnp::Text::Reader text, std::string_view field) {
  Result<Finess> finess = Finess::Parse(TextOf(text));
  if (!finess.ok()) return Corrupt(field, finess.status().message());
  return finess;
}

Result<Siret> ReadSiret(capnp::Text::Reader text, std::string_view field) {
  Result<Siret> siret = Siret::Parse(TextOf(text));
  if (!siret.ok()) return Corrupt(field, siret.status().message());
  return siret;
}

Result<Region> ReadRegion(capnp::Text::Reader text, std::string_view field) {
  Result<Region> region = Region::Parse(TextOf(text));
  if (!region.ok()) return Corrupt(field, region.status().message());
  return region;
}

template <typename Domain, size_t N, typename Wire>
Result<Domain> ReadEnum(Wire wire, const EnumName<Domain> (&/*table*/)[N],
                        std::string_view field) {
  const auto ordinal = static_cast<uint16_t>(wire);
  if (ordinal >= N)
    return Corrupt(field, "unknown enumerant " + std::to_string(ordinal));
  return static_cast<Domain>(ordinal);
}

Result<Campaign> ReadCampaign(w::Campaign wire, std::string_view field) {
  const auto ordinal = static_cast<uint16_t>(wire);
  if (ordinal > static_cast<uint16_t>(Campaign::kGeneralisation2025)) {
    return Corrupt(field, "unknown campaign " + std::to_string(ordinal));
  }
  return static_cast<Campaign>(ordinal);
}

// An optional field: `has` false requires `value` at its default, so that one
// decoded value has one byte form.
template <typename T>
Result<std::optional<T>> ReadOptional(bool has, T value,
                                      std::string_view field) {
  if (has) return std::optional<T>(value);
  if (value != T{}) return Corrupt(field, "set while marked absent");
  return std::optional<T>();
}

Result<Solution> Read(w::Solution::Reader from, const std::string& field) {
  (void)field;
  return Solution{.vendor = TextOf(from.getVendor()),
                  .product = TextOf(from.getProduct()),
                  .version = TextOf(from.getVersion())};
}

Result<Porteur> Read(w::Porteur::Reader from, const std::string& field) {
  ASSIGN_OR_RETURN(Finess finess_ej,
                   ReadFiness(from.getFinessEj(), field + ".finessEj"));
  ASSIGN_OR_RETURN(Siret siret, ReadSiret(from.getSiret(), field + ".siret"));
  ASSIGN_OR_RETURN(
      std::optional<bool> ght,
      ReadOptional(from.getHasGht(), from.getGht(), field + ".ght"));
  ASSIGN_OR_RETURN(std::optional<bool> agreement,
                   ReadOptional(from.getHasNationalEntityAgreement(),
                                from.getNationalEntityAgreement(),
                                field + ".nationalEntityAgreement"));
  return Porteur{.finess_ej = std::move(finess_ej),
                 .siret = std::move(siret),
                 .name = TextOf(from.getName()),
                 .ght = ght,
                 .national_entity_agreement = agreement};
}

Result<OrganisationEntry> Read(w::Organisation::Reader from,
                               const std::string& field) {
  ASSIGN_OR_RETURN(Finess finess_ej,
                   ReadFiness(from.getFinessEj(), field + ".finessEj"));
  ASSIGN_OR_RETURN(Region region,
                   ReadRegion(from.getRegion(), field + ".region"));
  return OrganisationEntry{.finess_ej = std::move(finess_ej),
                           .name = TextOf(from.getName()),
                           .essms_total = from.getEssmsTotal(),
                           .region = std::move(region)};
}

Result<EstablishmentEntry> Read(w::Establishment::Reader from,
                                const std::string& field) {
  ASSIGN_OR_RETURN(Finess finess,
                   ReadFiness(from.getFiness(), field + ".finess"));
  ASSIGN_OR_RETURN(Finess finess_ej,
                   ReadFiness(from.getFinessEj(), field + ".finessEj"));
  ASSIGN_OR_RETURN(Region region,
                   ReadRegion(from.getRegion(), field + ".region"));
  ASSIGN_OR_RETURN(
      Situation situation,
      ReadEnum(from.getSituation(), kSituationNames, field + ".situation"));
  std::optional<SaadHours> saad_hours;
  if (from.hasSaadHours()) {
    saad_hours = SaadHours{.total = from.getSaadHours().getTotal(),
                           .eligible = from.getSaadHours().getEligible()};
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> quote,
                   ReadOptional(from.getHasEquipmentQuoteCents(),
                                from.getEquipmentQuoteCents(),
                                field + ".equipmentQuoteCents"));
  return EstablishmentEntry{.finess = std::move(finess),
                            .finess_ej = std::move(finess_ej),
                            .name = TextOf(from.getName()),
                            .region = std::move(region),
                            .situation = situation,
                            .saad_hours = saad_hours,
                            .equipment_quote_cents = quote};
}

template <typename Entry, typename ListReader>
Result<std::vector<Entry>> ReadList(ListReader from, const std::string& field) {
  std::vector<Entry> out;
  out.reserve(from.size());
  for (unsigned i = 0; i < from.size(); ++i) {
    ASSIGN_OR_RETURN(Entry entry, Read(from[i], IndexPath(field, i)));
    out.push_back(std::move(entry));
  }
  return out;
}

Result<ProjectSubmitted> Read(w::ProjectSubmitted::Reader from,
                              const std::string&) {
  ASSIGN_OR_RETURN(Campaign campaign,
                   ReadCampaign(from.getCampaign(), "campaign"));
  ASSIGN_OR_RETURN(Porteur porteur, Read(from.getPorteur(), "porteur"));
  ASSIGN_OR_RETURN(ProjectKind kind,
                   ReadEnum(from.getKind(), kProjectKindNames, "kind"));
  ASSIGN_OR_RETURN(Solution solution, Read(from.getSolution(), "solution"));
  ASSIGN_OR_RETURN(
      auto organisations,
      ReadList<OrganisationEntry>(from.getOrganisations(), "organisations"));
  ASSIGN_OR_RETURN(
      auto establishments,
      ReadList<EstablishmentEntry>(from.getEstablishments(), "establishments"));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> amoa,
      ReadOptional(from.getHasAmoaRequestedCents(),
                   from.getAmoaRequestedCents(), "amoaRequestedCents"));
  ASSIGN_OR_RETURN(Date submitted_at,
                   ReadDate(from.getSubmittedAt(), "submittedAt"));
  std::optional<UsageCommitments> commitments;
  if (from.hasUsageCommitments()) {
    auto c = from.getUsageCommitments();
    UsageCommitments out;
    out.active_files_rate = c.getActiveFilesRate();
    out.plan_rate = c.getPlanRate();
    out.agenda_rate = c.getAgendaRate();
    ASSIGN_OR_RETURN(out.mssante_messages,
                     ReadOptional(c.getHasMssanteMessages(), c.getMssanteMessages(),
                                  "usageCommitments.mssanteMessages"));
    ASSIGN_OR_RETURN(out.dmp_documents,
                     ReadOptional(c.getHasDmpDocuments(), c.getDmpDocuments(),
                                  "usageCommitments.dmpDocuments"));
    ASSIGN_OR_RETURN(out.e_prescription_imports,
                     ReadOptional(c.getHasEPrescriptionImports(), c.getEPrescriptionImports(),
                                  "usageCommitments.ePrescriptionImports"));
    ASSIGN_OR_RETURN(out.e_parcours_exchanges,
                     ReadOptional(c.getHasEParcoursExchanges(), c.getEParcoursExchanges(),
                                  "usageCommitments.eParcoursExchanges"));
    commitments = out;
  }
  return ProjectSubmitted{.project = TextOf(from.getProject()),
                          .campaign = campaign,
                          .porteur = std::move(porteur),
                          .kind = kind,
                          .solution = std::move(solution),
                          .organisations = std::move(organisations),
                          .establishments = std::move(establishments),
                          .amoa_requested_cents = amoa,
                          .submitted_at = submitted_at,
                          .usage_commitments = commitments};
}

Result<ProjectSelected> Read(w::ProjectSelected::Reader from,
                             const std::string&) {
  ASSIGN_OR_RETURN(Date committee_at,
                   ReadDate(from.getCommitteeAt(), "committeeAt"));
  return ProjectSelected{.project = TextOf(from.getProject()),
                         .committee_at = committee_at};
}

Result<ProjectRejected> Read(w::ProjectRejected::Reader from,
                             const std::string&) {
  return ProjectRejected{.project = TextOf(from.getProject()),
                         .reason = TextOf(from.getReason())};
}

Result<ConventionSigned> Read(w::ConventionSigned::Reader from,
                              const std::string&) {
  ASSIGN_OR_RETURN(Date signed_at, ReadDate(from.getSignedAt(), "signedAt"));
  std::vector<Finess> establishments;
  auto list = from.getEstablishments();
  establishments.reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(Finess finess,
                     ReadFiness(list[i], IndexPath("establishments", i)));
    establishments.push_back(std::move(finess));
  }
  return ConventionSigned{.project = TextOf(from.getProject()),
                          .signed_at = signed_at,
                          .amount_cents = from.getAmountCents(),
                          .establishments = std::move(establishments),
                          .duration_months = from.getDurationMonths()};
}

Result<PaymentIssued> Read(w::PaymentIssued::Reader from, const std::string&) {
  ASSIGN_OR_RETURN(Tranche tranche,
                   ReadEnum(from.getTranche(), kTrancheNames, "tranche"));
  ASSIGN_OR_RETURN(Date paid_at, ReadDate(from.getPaidAt(), "paidAt"));
  std::optional<Region> paying_region;
  if (from.getHasPayingRegion()) {
    ASSIGN_OR_RETURN(paying_region,
                     ReadRegion(from.getPayingRegion(), "payingRegion"));
  } else if (from.hasPayingRegion()) {
    return Corrupt("payingRegion", "set while marked absent");
  }
  return PaymentIssued{.project = TextOf(from.getProject()),
                       .tranche = tranche,
                       .amount_cents = from.getAmountCents(),
                       .paid_at = paid_at,
                       .reference = TextOf(from.getReference()),
                       .paying_region = std::move(paying_region)};
}

Result<IndicatorMeasured> Read(w::IndicatorMeasured::Reader from,
                               const std::string&) {
  ASSIGN_OR_RETURN(Finess finess, ReadFiness(from.getFiness(), "finess"));
  ASSIGN_OR_RETURN(Date period_start,
                   ReadDate(from.getPeriodStart(), "periodStart"));
  ASSIGN_OR_RETURN(Date period_end, ReadDate(from.getPeriodEnd(), "periodEnd"));
  ASSIGN_OR_RETURN(std::optional<int64_t> persons_eligible,
                   ReadOptional(from.getHasPersonsEligible(),
                                from.getPersonsEligible(), "personsEligible"));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> e_prescription,
      ReadOptional(from.getHasEPrescriptionImports(),
                   from.getEPrescriptionImports(), "ePrescriptionImports"));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> e_parcours,
      ReadOptional(from.getHasEParcoursExchanges(),
                   from.getEParcoursExchanges(), "eParcoursExchanges"));
  ASSIGN_OR_RETURN(std::optional<int32_t> socle_days,
                   ReadOptional(from.getHasSoclePeriodStart(),
                                from.getSoclePeriodStart(), "soclePeriodStart"));
  std::optional<Date> socle_period_start;
  if (socle_days) {
    ASSIGN_OR_RETURN(socle_period_start, ReadDate(*socle_days, "soclePeriodStart"));
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> dmp_documents,
                   ReadOptional(from.getHasDmpDocuments(), from.getDmpDocuments(),
                                "dmpDocuments"));
  return IndicatorMeasured{
      .finess = std::move(finess),
      .period_start = period_start,
      .period_end = period_end,
      .persons_accompanied = from.getPersonsAccompanied(),
      .active_files = from.getActiveFiles(),
      .active_files_with_plan = from.getActiveFilesWithPlan(),
      .active_files_with_agenda_event = from.getActiveFilesWithAgendaEvent(),
      .persons_eligible = persons_eligible,
      .mssante_messages = from.getMssanteMessages(),
      .dmp_fed = from.getDmpFed(),
      .e_prescription_imports = e_prescription,
      .e_parcours_exchanges = e_parcours,
      .socle_period_start = socle_period_start,
      .dmp_documents = dmp_documents};
}

Result<GrappeExtended> Read(w::GrappeExtended::Reader from,
                            const std::string&) {
  ASSIGN_OR_RETURN(Date extended_at,
                   ReadDate(from.getExtendedAt(), "extendedAt"));
  ASSIGN_OR_RETURN(Region paying_region,
                   ReadRegion(from.getPayingRegion(), "payingRegion"));
  ASSIGN_OR_RETURN(
      auto organisations,
      ReadList<OrganisationEntry>(from.getOrganisations(), "organisations"));
  ASSIGN_OR_RETURN(
      auto establishments,
      ReadList<EstablishmentEntry>(from.getEstablishments(), "establishments"));
  return GrappeExtended{.project = TextOf(from.getProject()),
                        .extended_at = extended_at,
                        .porteur_agreement = from.getPorteurAgreement(),
                        .paying_region = std::move(paying_region),
                        .organisations = std::move(organisations),
                        .establishments = std::move(establishments)};
}

Result<FinessChanged> Read(w::FinessChanged::Reader from, const std::string&) {
  ASSIGN_OR_RETURN(Finess from_number, ReadFiness(from.getFrom(), "from"));
  ASSIGN_OR_RETURN(Finess to_number, ReadFiness(from.getTo(), "to"));
  ASSIGN_OR_RETURN(FinessChangeKind kind,
                   ReadEnum(from.getKind(), kFinessChangeKindNames, "kind"));
  ASSIGN_OR_RETURN(Date effective_at,
                   ReadDate(from.getEffectiveAt(), "effectiveAt"));
  return FinessChanged{.from = std::move(from_number),
                       .to = std::move(to_number),
                       .kind = kind,
                       .effective_at = effective_at};
}

Result<SonsOrdered> Read(w::SonsOrdered::Reader from, const std::string&) {
  ASSIGN_OR_RETURN(Finess finess, ReadFiness(from.getFiness(), "finess"));
  ASSIGN_OR_RETURN(Solution solution, Read(from.getSolution(), "solution"));
  ASSIGN_OR_RETURN(Date ordered_at, ReadDate(from.getOrderedAt(), "orderedAt"));
  ASSIGN_OR_RETURN(std::optional<int32_t> validated_days,
                   ReadOptional(from.getHasValidatedAt(), from.getValidatedAt(),
                                "validatedAt"));
  std::optional<Date> validated_at;
  if (validated_days) {
    ASSIGN_OR_RETURN(validated_at, ReadDate(*validated_days, "validatedAt"));
  }
  return SonsOrdered{.finess = std::move(finess),
                     .solution = std::move(solution),
                     .ordered_at = ordered_at,
                     .validated_at = validated_at};
}

Result<EuFundingDeclared> Read(w::EuFundingDeclared::Reader from,
                               const std::string&) {
  ASSIGN_OR_RETURN(Finess finess, ReadFiness(from.getFiness(), "finess"));
  ASSIGN_OR_RETURN(EuFund fund, ReadEnum(from.getFund(), kEuFundNames, "fund"));
  ASSIGN_OR_RETURN(
      EuOperation operation,
      ReadEnum(from.getOperation(), kEuOperationNames, "operation"));
  ASSIGN_OR_RETURN(Date declared_at,
                   ReadDate(from.getDeclaredAt(), "declaredAt"));
  return EuFundingDeclared{.finess = std::move(finess),
                           .fund = fund,
                           .operation = operation,
                           .declared_at = declared_at};
}

Result<ExpensesCertified> Read(w::ExpensesCertified::Reader from,
                               const std::string&) {
  ASSIGN_OR_RETURN(
      Certifier certified_by,
      ReadEnum(from.getCertifiedBy(), kCertifierNames, "certifiedBy"));
  ASSIGN_OR_RETURN(Date certified_at,
                   ReadDate(from.getCertifiedAt(), "certifiedAt"));
  return ExpensesCertified{.project = TextOf(from.getProject()),
                           .total_cents = from.getTotalCents(),
                           .equipment_cents = from.getEquipmentCents(),
                           .certified_by = certified_by,
                           .certified_at = certified_at};
}

Result<SolutionReferenced> Read(w::SolutionReferenced::Reader from,
                                const std::string&) {
  ASSIGN_OR_RETURN(Solution solution, Read(from.getSolution(), "solution"));
  ASSIGN_OR_RETURN(SolutionStatus status,
                   ReadEnum(from.getStatus(), kSolutionStatusNames, "status"));
  ASSIGN_OR_RETURN(Date referenced_at,
                   ReadDate(from.getReferencedAt(), "referencedAt"));
  return SolutionReferenced{.solution = std::move(solution),
                            .corridor = TextOf(from.getCorridor()),
                            .status = status,
                            .referenced_at = referenced_at};
}

Result<TargetsAdjusted> Read(w::TargetsAdjusted::Reader from,
                             const std::string&) {
  ASSIGN_OR_RETURN(Finess finess, ReadFiness(from.getFiness(), "finess"));
  std::vector<AdjustedIndicator> indicators;
  auto list = from.getIndicators();
  for (unsigned i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(AdjustedIndicator indicator,
                     ReadEnum(list[i], kAdjustedIndicatorNames, IndexPath("indicators", i)));
    indicators.push_back(indicator);
  }
  std::optional<Date> effective_from;
  if (from.getHasEffectiveFrom()) {
    ASSIGN_OR_RETURN(effective_from, ReadDate(from.getEffectiveFrom(), "effectiveFrom"));
  } else if (from.getEffectiveFrom() != 0) {
    return Corrupt("effectiveFrom", "set while marked absent");
  }
  return TargetsAdjusted{.finess = std::move(finess),
                         .denominator = from.getDenominator(),
                         .reason = TextOf(from.getReason()),
                         .indicators = std::move(indicators),
                         .effective_from = effective_from};
}

Result<InvoiceReceived> Read(w::InvoiceReceived::Reader from, const std::string&) {
  ASSIGN_OR_RETURN(Tranche tranche, ReadEnum(from.getTranche(), kTrancheNames, "tranche"));
  ASSIGN_OR_RETURN(Date received_at, ReadDate(from.getReceivedAt(), "receivedAt"));
  return InvoiceReceived{.project = TextOf(from.getProject()),
                         .tranche = tranche,
                         .amount_cents = from.getAmountCents(),
                         .received_at = received_at,
                         .reference = TextOf(from.getReference())};
}

Result<FundingRecorded> Read(w::FundingRecorded::Reader from, const std::string&) {
  ASSIGN_OR_RETURN(Finess finess, ReadFiness(from.getFiness(), "finess"));
  ASSIGN_OR_RETURN(Solution solution, Read(from.getSolution(), "solution"));
  ASSIGN_OR_RETURN(EuOperation operation,
                   ReadEnum(from.getOperation(), kEuOperationNames, "operation"));
  ASSIGN_OR_RETURN(Date granted_at, ReadDate(from.getGrantedAt(), "grantedAt"));
  return FundingRecorded{.finess = std::move(finess),
                         .campaign = TextOf(from.getCampaign()),
                         .solution = std::move(solution),
                         .operation = operation,
                         .amount_cents = from.getAmountCents(),
                         .granted_at = granted_at};
}

Result<EventVoided> Read(w::EventVoided::Reader from, const std::string&) {
  return EventVoided{.seq = from.getSeq(), .reason = TextOf(from.getReason())};
}

// ---------------------------------------------------------------- dispatch

// The wire struct of each event type; key records have none (the ledger owns
// them).
template <typename T>
struct WireOf {
  using type = void;
};
template <>
struct WireOf<ProjectSubmitted> {
  using type = w::ProjectSubmitted;
};
template <>
struct WireOf<ProjectSelected> {
  using type = w::ProjectSelected;
};
template <>
struct WireOf<ProjectRejected> {
  using type = w::ProjectRejected;
};
template <>
struct WireOf<ConventionSigned> {
  using type = w::ConventionSigned;
};
template <>
struct WireOf<PaymentIssued> {
  using type = w::PaymentIssued;
};
template <>
struct WireOf<IndicatorMeasured> {
  using type = w::IndicatorMeasured;
};
template <>
struct WireOf<GrappeExtended> {
  using type = w::GrappeExtended;
};
template <>
struct WireOf<FinessChanged> {
  using type = w::FinessChanged;
};
template <>
struct WireOf<SonsOrdered> {
  using type = w::SonsOrdered;
};
template <>
struct WireOf<EuFundingDeclared> {
  using type = w::EuFundingDeclared;
};
template <>
struct WireOf<ExpensesCertified> {
  using type = w::ExpensesCertified;
};
template <>
struct WireOf<SolutionReferenced> {
  using type = w::SolutionReferenced;
};
template <>
struct WireOf<TargetsAdjusted> {
  using type = w::TargetsAdjusted;
};
template <>
struct WireOf<EventVoided> {
  using type = w::EventVoided;
};
template <>
struct WireOf<InvoiceReceived> {
  using type = w::InvoiceReceived;
};
template <>
struct WireOf<FundingRecorded> {
  using type = w::FundingRecorded;
};

Status KeyRecordRefusal() {
  return Status::Internal("key records are encoded by the ledger");
}

template <typename T>
Result<std::vector<uint8_t>> EncodeAs(const T& value) {
  using Wire = typename WireOf<T>::type;
  if constexpr (std::is_void_v<Wire>) {
    return KeyRecordRefusal();
  } else {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<Wire>();
    Write(value, root);
    kj::Array<capnp::word> words = capnp::canonicalize(root.asReader());
    kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
  }
}

// Decodes `words` as the payload of the I-th alternative of EventData if its
// type is `type`, else tries the next one.
template <size_t I = 0>
Result<EventData> DecodeAs(std::string_view type,
                           kj::ArrayPtr<const capnp::word> words,
                           bool check_canonical) {
  if constexpr (I == std::variant_size_v<EventData>) {
    return Status::DataLoss("payload of unknown event type " + Quote(type));
  } else {
    using T = std::variant_alternative_t<I, EventData>;
    if (type != T::kType) return DecodeAs<I + 1>(type, words, check_canonical);
    using Wire = typename WireOf<T>::type;
    if constexpr (std::is_void_v<Wire>) {
      return KeyRecordRefusal();
    } else {
      capnp::ReaderOptions options;
      // Canonical messages share no pointers: each word is read once by
      // isCanonical and once by Read.
      options.traversalLimitInWords = 2 * words.size() + 64;
      options.nestingLimit = 8;
      kj::ArrayPtr<const capnp::word> segments[1] = {words};
      capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1),
                                              options);
      if (check_canonical && !reader.isCanonical()) {
        return Status::DataLoss(std::string(type) +
                                " payload is not in canonical form");
      }
      Result<T> value = Read(reader.getRoot<Wire>(), std::string());
      if (!value.ok()) {
        return Status::DataLoss(std::string(type) +
                                " payload: " + value.status().message());
      }
      // One value, one byte form: canonical bytes that still differ from the
      // encoding of what they decode to (a null text where the encoder writes
      // an empty one, ...) are refused too.
      if (!check_canonical) return EventData(std::move(value).value());
      Result<std::vector<uint8_t>> again = EncodeAs(*value);
      const auto bytes = words.asBytes();
      if (!again.ok() || !std::equal(again->begin(), again->end(),
                                     bytes.begin(), bytes.end())) {
        return Status::DataLoss(std::string(type) +
                                " payload is not the encoding of its value");
      }
      return EventData(std::move(value).value());
    }
  }
}

}  // namespace

Result<std::vector<uint8_t>> EncodeCapnpPayload(const EventData& data) {
  return std::visit([](const auto& value) { return EncodeAs(value); }, data);
}

Result<EventData> DecodeCapnpPayload(std::string_view type,
                                     std::span<const uint8_t> payload,
                                     bool check_canonical) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) {
    return Status::DataLoss(Sanitize(type) + " payload of " +
                            std::to_string(payload.size()) +
                            " bytes is not a whole number of 8-byte words");
  }
  if (payload.size() > kMaxPayloadBytes) {
    return Status::DataLoss(Sanitize(type) + " payload of " +
                            std::to_string(payload.size()) +
                            " bytes exceeds the limit");
  }
  // Copy into word-aligned memory: the caller's bytes need not be aligned.
  kj::Array<capnp::word> words =
      kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  try {
    return DecodeAs(
        type, kj::ArrayPtr<const capnp::word>(words.begin(), words.size()),
        check_canonical);
  } catch (const kj::Exception& e) {
    return Status::DataLoss(Sanitize(type) + " payload is malformed: " +
                            Sanitize(e.getDescription().cStr()));
  }
}

}  // namespace esms::domain::internal
