@0xd400497037d3db04;
# Canonical payloads of the programme's events (INTERFACE.md §1, domain/events.h).
#
# The payload of a record is the canonical encoding (capnp::canonicalize: one segment,
# no segment table) of a message whose root is the struct of the record's type. The
# type itself travels in the record envelope, not here. key.enrolled / key.revoked
# are not here: the ledger owns their schema (ledger/record.capnp).
#
# Conventions:
# - Dates are Int32 days since 1970-01-01 (domain::Date::days()), years 0000-9999.
# - Money is Int64 cents; counts are Int64 (never negative).
# - FINESS, SIRET and INSEE region codes are Text, as written in the JSON.
# - An optional scalar or text field `x` is a pair `hasX :Bool` + `x` (x stays at its
#   default when absent); an optional struct is a null pointer when absent. So absent
#   and present-with-default-value are two distinct byte forms and round trips are exact.
# - Field numbers are the wire contract: never renumber, only append.
# - An enum lists the values of its domain enum (domain/events.h) in the same order; an
#   enumerant's name is its JSON spelling, or its $Json.name where JSON spells it otherwise
#   (domain/internal/enum_names.h reads them from here).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("esms::domain::wire");
using Json = import "/capnp/compat/json.capnp";

enum Campaign {
  amorcage2021 @0;
  generalisation2023 @1;
  generalisation2024 @2;
  generalisation2025 @3;
}

enum ProjectKind {
  acquisition @0;
  usage @1;
  mixed @2;
}

enum Situation {
  acquisition @0;
  upgrade @1;
}

enum Tranche {
  advance @0;
  balance @1;
  parametrisation @2;
  deployment @3;
}

enum EuFund {
  feder @0 $Json.name("FEDER");
  fse @1 $Json.name("FSE");
  hopen @2 $Json.name("HOPEN");
  other @3 $Json.name("OTHER");
}

enum EuOperation {
  acquisition @0;
  upgrade @1;
}

enum FinessChangeKind {
  renumbering @0;
  merger @1;
}

enum Certifier {
  publicAccountant @0 $Json.name("public-accountant");
  statutoryAuditor @1 $Json.name("statutory-auditor");
}

# key.enrolled `roles[]`: no payload of the domain holds it (the ledger encodes key records),
# only its JSON names are read from here.
enum Role {
  admin @0;
  porteur @1;
  arsInstructor @2 $Json.name("ars-instructor");
  arsPayer @3 $Json.name("ars-payer");
  national @4;
  auditor @5;
}

enum SolutionStatus {
  candidate @0;
  referenced @1;
}

struct Solution {
  vendor @0 :Text;
  product @1 :Text;
  version @2 :Text;
}

struct Porteur {
  finessEj @0 :Text;
  siret @1 :Text;
  name @2 :Text;
  hasGht @3 :Bool;
  ght @4 :Bool;
  hasNationalEntityAgreement @5 :Bool;
  nationalEntityAgreement @6 :Bool;
}

struct Organisation {
  finessEj @0 :Text;
  name @1 :Text;
  essmsTotal @2 :Int64;
  region @3 :Text;
}

struct SaadHours {
  total @0 :Int64;
  eligible @1 :Int64;
}

struct Establishment {
  finess @0 :Text;
  finessEj @1 :Text;
  name @2 :Text;
  region @3 :Text;
  situation @4 :Situation;
  saadHours @5 :SaadHours;  # null when absent
  hasEquipmentQuoteCents @6 :Bool;
  equipmentQuoteCents @7 :Int64;
}

struct ProjectSubmitted {
  project @0 :Text;
  campaign @1 :Campaign;
  porteur @2 :Porteur;
  kind @3 :ProjectKind;
  solution @4 :Solution;
  organisations @5 :List(Organisation);
  establishments @6 :List(Establishment);
  hasAmoaRequestedCents @7 :Bool;
  amoaRequestedCents @8 :Int64;
  submittedAt @9 :Int32;
  usageCommitments @10 :UsageCommitments;  # null when absent
}

struct UsageCommitments {
  activeFilesRate @0 :Int64;
  planRate @1 :Int64;
  agendaRate @2 :Int64;
  hasMssanteMessages @3 :Bool;
  mssanteMessages @4 :Int64;
  hasDmpDocuments @5 :Bool;
  dmpDocuments @6 :Int64;
  hasEPrescriptionImports @7 :Bool;
  ePrescriptionImports @8 :Int64;
  hasEParcoursExchanges @9 :Bool;
  eParcoursExchanges @10 :Int64;
}

struct ProjectSelected {
  project @0 :Text;
  committeeAt @1 :Int32;
}

struct ProjectRejected {
  project @0 :Text;
  reason @1 :Text;
}

struct ConventionSigned {
  project @0 :Text;
  signedAt @1 :Int32;
  amountCents @2 :Int64;
  establishments @3 :List(Text);
  durationMonths @4 :Int64;
}

struct PaymentIssued {
  project @0 :Text;
  tranche @1 :Tranche;
  amountCents @2 :Int64;
  paidAt @3 :Int32;
  reference @4 :Text;
  hasPayingRegion @5 :Bool;
  payingRegion @6 :Text;
}

struct IndicatorMeasured {
  finess @0 :Text;
  periodStart @1 :Int32;
  periodEnd @2 :Int32;
  personsAccompanied @3 :Int64;
  activeFiles @4 :Int64;
  activeFilesWithPlan @5 :Int64;
  activeFilesWithAgendaEvent @6 :Int64;
  hasPersonsEligible @7 :Bool;
  personsEligible @8 :Int64;
  mssanteMessages @9 :Int64;
  dmpFed @10 :Int64;
  hasEPrescriptionImports @11 :Bool;
  ePrescriptionImports @12 :Int64;
  hasEParcoursExchanges @13 :Bool;
  eParcoursExchanges @14 :Int64;
  hasSoclePeriodStart @15 :Bool;
  soclePeriodStart @16 :Int32;
  hasDmpDocuments @17 :Bool;
  dmpDocuments @18 :Int64;
}

struct GrappeExtended {
  project @0 :Text;
  extendedAt @1 :Int32;
  porteurAgreement @2 :Bool;
  payingRegion @3 :Text;
  organisations @4 :List(Organisation);
  establishments @5 :List(Establishment);
}

struct FinessChanged {
  from @0 :Text;
  to @1 :Text;
  kind @2 :FinessChangeKind;
  effectiveAt @3 :Int32;
}

struct SonsOrdered {
  finess @0 :Text;
  solution @1 :Solution;
  orderedAt @2 :Int32;
  hasValidatedAt @3 :Bool;
  validatedAt @4 :Int32;
}

struct EuFundingDeclared {
  finess @0 :Text;
  fund @1 :EuFund;
  operation @2 :EuOperation;
  declaredAt @3 :Int32;
}

struct ExpensesCertified {
  project @0 :Text;
  totalCents @1 :Int64;
  equipmentCents @2 :Int64;
  certifiedBy @3 :Certifier;
  certifiedAt @4 :Int32;
}

struct SolutionReferenced {
  solution @0 :Solution;
  corridor @1 :Text;
  status @2 :SolutionStatus;
  referencedAt @3 :Int32;
}

enum AdjustedIndicator {
  activeFiles @0;
  plan @1;
  agenda @2;
  mssante @3;
  dmp @4;
}

struct TargetsAdjusted {
  finess @0 :Text;
  denominator @1 :Int64;
  reason @2 :Text;
  indicators @3 :List(AdjustedIndicator);  # empty in records written before issue 13
  hasEffectiveFrom @4 :Bool;
  effectiveFrom @5 :Int32;
}

struct InvoiceReceived {
  project @0 :Text;
  tranche @1 :Tranche;
  amountCents @2 :Int64;
  receivedAt @3 :Int32;
  reference @4 :Text;
}

struct FundingRecorded {
  finess @0 :Text;
  campaign @1 :Text;
  solution @2 :Solution;
  operation @3 :EuOperation;
  amountCents @4 :Int64;
  grantedAt @5 :Int32;
}

struct EventVoided {
  seq @0 :UInt64;
  reason @1 :Text;
}
