#include "service/access.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "base/text.h"
#include "domain/finess.h"
#include "domain/region.h"

namespace esms::service {
namespace {

constexpr std::string_view kNational = "national";
constexpr std::string_view kAuditor = "auditor";
constexpr std::string_view kPorteur = "porteur";
constexpr std::string_view kAdmin = "admin";

bool IsArsRole(std::string_view role) { return role == "ars-instructor" || role == "ars-payer"; }

bool HasArsRole(const Identity& who) {
  return std::any_of(who.roles.begin(), who.roles.end(),
                     [](const std::string& r) { return IsArsRole(r); });
}

void AppendU32(std::string& out, size_t n) {
  const auto v = static_cast<uint32_t>(n);
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

std::string Join(const std::vector<std::string>& items) {
  return Join(std::set<std::string>(items.begin(), items.end()));
}

Status Refuse(const Identity& who, const ReadTarget& target, std::string_view why) {
  std::string what(ToString(target.kind));
  if (!target.subject.empty()) what += " of " + target.subject;
  return Status::PermissionDenied(who.Describe() + " may not read " + what + ": " +
                                  std::string(why));
}

// Why a project read is refused: the same words whether the project exists or not.
std::string ProjectRule(const Identity& who) {
  if (who.anonymous()) return "authenticate with an enrolled key first";
  std::string why;
  if (who.HasRole(kPorteur)) why = "a porteur reads the projects its key submitted";
  if (HasArsRole(who)) {
    why += std::string(why.empty() ? "" : "; ") +
           "an ARS key reads the projects with an establishment in its regions (" +
           Join(who.regions) + ")";
  }
  if (why.empty()) why = "its roles (" + Join(who.roles) + ") read no project";
  return why;
}

// Why a `history` read is refused: one text for a project, an establishment and an
// unknown key alike.
std::string HistoryRule(const Identity& who) {
  std::string why = ProjectRule(who);
  if (!who.anonymous()) why += ", and the establishments those projects list";
  return why;
}

bool ArsCovers(const Identity& who, const std::set<std::string>& regions) {
  if (!HasArsRole(who)) return false;
  return std::any_of(regions.begin(), regions.end(),
                     [&](const std::string& r) { return who.HasRegion(r); });
}

}  // namespace

// ---- Identity ----

bool Identity::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Identity::HasRegion(std::string_view region) const {
  return std::find(regions.begin(), regions.end(), region) != regions.end();
}

bool Identity::SeesEverything() const {
  return !anonymous() && (HasRole(kNational) || HasRole(kAuditor));
}

std::string Identity::Describe() const {
  if (anonymous()) return "anonymous connection";
  return "key '" + key_name + "' (" + (roles.empty() ? std::string("no role") : Join(roles)) + ")";
}

// ---- Authentication ----

ledger::Bytes NewNonce() {
  ledger::Bytes nonce(kNonceSize);
  // sodium_init() (idempotent, thread-safe) picks the OS random source; randombytes_buf()
  // "cannot fail" (libsodium's documentation of its random data API).
  [[maybe_unused]] static const int sodium_ready = sodium_init();
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

std::string AuthChallengeMessage(std::string_view origin, ledger::ByteView nonce,
                                 std::string_view key_name) {
  std::string out;
  out.reserve(kAuthContext.size() + 1 + 12 + origin.size() + nonce.size() + key_name.size());
  out.append(kAuthContext);
  out.push_back('\0');
  AppendU32(out, origin.size());
  out.append(origin);
  AppendU32(out, nonce.size());
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  AppendU32(out, key_name.size());
  out.append(key_name);
  return out;
}

ledger::Signature SignChallenge(const ledger::SigningKey& key, std::string_view origin,
                                ledger::ByteView nonce, std::string_view key_name) {
  return key.Sign(ledger::AsBytes(AuthChallengeMessage(origin, nonce, key_name)));
}

Result<Identity> IdentityOf(const ledger::KeyRegistry& keys, std::string_view key_name) {
  // The name comes from the network: never echoed unless it is a valid key name.
  if (!ledger::IsValidKeyName(key_name)) {
    return Status::PermissionDenied(
        "authentication refused: not a valid key name (1-64 chars of "
        "[A-Za-z0-9._@-])");
  }
  Result<const ledger::KeyInfo*> info = keys.Signer(key_name);
  if (!info.ok()) {
    return Status::PermissionDenied("authentication refused: " + info.status().message());
  }
  const ledger::KeyInfo& k = **info;
  return Identity{k.name, k.roles, k.regions, k.enrolled_seq};
}

Result<Identity> Authenticate(const ledger::KeyRegistry& keys, std::string_view origin,
                              ledger::ByteView nonce, std::string_view key_name,
                              const ledger::Signature& signature) {
  if (nonce.size() != kNonceSize) {
    return Status::PermissionDenied("authentication refused: the challenge nonce is " +
                                    std::to_string(nonce.size()) + " bytes, not " +
                                    std::to_string(kNonceSize));
  }
  ASSIGN_OR_RETURN(Identity who, IdentityOf(keys, key_name));
  const ledger::KeyInfo* info = keys.Find(key_name);
  if (info == nullptr ||
      !ledger::VerifySignature(
          info->key, ledger::AsBytes(AuthChallengeMessage(origin, nonce, key_name)), signature)) {
    return Status::PermissionDenied(
        "authentication refused: the challenge's signature does not verify with key '" +
        std::string(key_name) + "' as enrolled at seq " + std::to_string(who.enrolled_seq) +
        " (another key, another ledger's origin or another challenge)");
  }
  return who;
}

Challenge::Challenge(Clock::time_point now, std::chrono::seconds ttl)
    : nonce_(NewNonce()), expires_(now + ttl) {}

Result<Identity> Challenge::Answer(const ledger::KeyRegistry& keys, std::string_view origin,
                                   std::string_view key_name, const ledger::Signature& signature,
                                   Clock::time_point now) {
  return Answer(keys, origin, nonce_, key_name, signature, now);
}

Result<Identity> Challenge::Answer(const ledger::KeyRegistry& keys, std::string_view origin,
                                   ledger::ByteView echoed_nonce, std::string_view key_name,
                                   const ledger::Signature& signature, Clock::time_point now) {
  // Single use: whatever the outcome, only the first answer is looked at.
  if (spent_.exchange(true)) {
    return Status::PermissionDenied(
        "authentication refused: this challenge was already answered; ask for a new one");
  }
  if (now > expires_) {
    return Status::PermissionDenied(
        "authentication refused: the challenge expired; ask for a new one");
  }
  if (echoed_nonce.size() != nonce_.size() ||
      sodium_memcmp(echoed_nonce.data(), nonce_.data(), nonce_.size()) != 0) {
    return Status::PermissionDenied(
        "authentication refused: the nonce answered is not this connection's challenge");
  }
  return Authenticate(keys, origin, nonce_, key_name, signature);
}

// ---- Read scoping ----

std::string_view ToString(ReadKind kind) {
  switch (kind) {
    case ReadKind::kCheckpoint:
      return "checkpoint";
    case ReadKind::kProve:
      return "prove";
    case ReadKind::kConsistency:
      return "consistency";
    case ReadKind::kTileHashes:
      return "hash tiles";
    case ReadKind::kRules:
      return "rules";
    case ReadKind::kTileEntries:
      return "entry tiles";
    case ReadKind::kState:
      return "state";
    case ReadKind::kCheck:
      return "check";
    case ReadKind::kHistoryProject:
    case ReadKind::kHistoryFiness:
      return "history";
    case ReadKind::kBundle:
      return "bundle";
    case ReadKind::kReportActiveDui:
      return "report active-dui";
    case ReadKind::kReportBundle:
      return "report active-dui --bundle";
    case ReadKind::kLog:
      return "log";
    case ReadKind::kVerify:
      return "verify";
  }
  return "read";
}

bool IsPublic(ReadKind kind) {
  switch (kind) {
    case ReadKind::kCheckpoint:
    case ReadKind::kProve:
    case ReadKind::kConsistency:
    case ReadKind::kTileHashes:
    case ReadKind::kRules:
      return true;
    default:
      return false;
  }
}

bool MayReadProject(const Identity& who, const ProjectScope& project) {
  if (who.anonymous()) return false;
  if (who.SeesEverything()) return true;
  if (who.HasRole(kPorteur) && !project.owner.empty() && project.owner == who.key_name) {
    return true;
  }
  return ArsCovers(who, project.regions);
}

Status MayRead(const Identity& who, const ReadTarget& target, const ReadPolicy& policy) {
  if (IsPublic(target.kind)) return Status::OK();
  switch (target.kind) {
    case ReadKind::kTileEntries:
    case ReadKind::kLog:
      if (target.kind == ReadKind::kTileEntries && policy.public_tile_entries) return Status::OK();
      if (who.SeesEverything()) return Status::OK();
      return Refuse(who, target,
                    who.anonymous()
                        ? "authenticate with an enrolled key first"
                        : "every record is read by the national and auditor roles only");
    case ReadKind::kVerify:
      // A full pass over the ledger (every signature): for the roles that see
      // everything and the admin that runs the ledger; the others check their own
      // evidence offline (bundle, prove, verify-bundle).
      if (who.SeesEverything() || (!who.anonymous() && who.HasRole(kAdmin))) return Status::OK();
      return Refuse(who, target,
                    who.anonymous() ? "authenticate with an enrolled key first"
                                    : "verify is run by the national, auditor and admin roles");
    case ReadKind::kState:
    case ReadKind::kCheck:
    case ReadKind::kHistoryProject:
    case ReadKind::kBundle: {
      if (who.SeesEverything()) return Status::OK();
      if (target.exists && target.projects.size() == 1 &&
          MayReadProject(who, target.projects.front())) {
        return Status::OK();
      }
      // `history KEY` is refused alike whether KEY names a project, an establishment or
      // nothing (HistoryTarget): the refusal must not tell which.
      return Refuse(who, target,
                    target.kind == ReadKind::kHistoryProject ? HistoryRule(who) : ProjectRule(who));
    }
    case ReadKind::kHistoryFiness: {
      if (who.SeesEverything()) return Status::OK();
      if (target.exists) {
        // A FINESS's history shows every project naming its lineage: the same records
        // the bundle of any one of those projects holds (projections/bundle.h,
        // ProjectBundleSeqs), so reading one of them is enough. An ARS also reads the
        // establishments of its regions that no project names (measurements only).
        for (const ProjectScope& p : target.projects) {
          if (MayReadProject(who, p)) return Status::OK();
        }
        if (ArsCovers(who, target.regions)) return Status::OK();
      }
      return Refuse(who, target, HistoryRule(who));
    }
    case ReadKind::kReportActiveDui:
    case ReadKind::kReportBundle: {
      // The indicator is public programme data (DOMAIN.md §8: the PNRR's national
      // figure, reported to the EU): an ARS reads the whole ledger's figure, as the
      // national and auditor roles do (docs/access.md §2).
      if (who.SeesEverything() || HasArsRole(who)) return Status::OK();
      if (who.anonymous()) return Refuse(who, target, "authenticate with an enrolled key first");
      return Refuse(who, target, "the indicator is read by the national, auditor and ARS roles");
    }
    default:
      break;
  }
  return Refuse(who, target, "unknown read");
}

// ---- Targets ----

std::optional<ProjectScope> ProjectScopeOf(const projections::ProgrammeState& state,
                                           const projections::SignerLookup& signer_of,
                                           std::string_view id) {
  const projections::Project* p = state.FindProject(id);
  if (p == nullptr) return std::nullopt;
  ProjectScope scope;
  scope.project = p->id();
  if (signer_of) {
    if (const ledger::KeyInfo* signer = signer_of(p->submitted_seq)) scope.owner = signer->name;
  }
  scope.regions = p->Regions();
  return scope;
}

ReadTarget ProjectTarget(ReadKind kind, const projections::ProgrammeState& state,
                         const projections::SignerLookup& signer_of, std::string_view id) {
  ReadTarget target;
  target.kind = kind;
  target.subject = "project " + base::Quote(id);
  std::optional<ProjectScope> scope = ProjectScopeOf(state, signer_of, id);
  target.exists = scope.has_value();
  if (scope.has_value()) target.projects.push_back(std::move(*scope));
  return target;
}

ReadTarget HistoryTarget(const projections::ProgrammeState& state,
                         const projections::SignerLookup& signer_of, std::string_view key) {
  // The subject is the key as asked, whatever it turns out to name: a refusal must not
  // tell a project from an establishment or from nothing (docs/access.md §3).
  if (state.FindProject(key) != nullptr) {
    ReadTarget target = ProjectTarget(ReadKind::kHistoryProject, state, signer_of, key);
    target.subject = base::Quote(key);
    return target;
  }
  ReadTarget target;
  target.kind = ReadKind::kHistoryFiness;
  target.exists = false;
  target.subject = base::Quote(key);
  Result<domain::Finess> finess = domain::Finess::Parse(key);
  if (!finess.ok()) return target;  // neither a project nor a FINESS
  const projections::EstablishmentRegistry& registry = state.registry();
  std::set<std::string> seen;
  for (const auto& member : registry.Lineage(*finess)) {
    const projections::EstablishmentFacts* facts = registry.Find(member.finess);
    if (registry.SuccessorOf(member.finess) != nullptr) target.exists = true;
    if (facts == nullptr) continue;
    if (!facts->empty()) target.exists = true;
    for (const projections::ProjectLink& link : facts->project_records) {
      const projections::Project* p = state.FindProject(link.project);
      if (p == nullptr) continue;
      const int index = p->IndexOf(member.finess);
      if (index >= 0) target.regions.insert(p->establishments[index].entry.region.code());
      if (!seen.insert(link.project).second) continue;
      if (auto scope = ProjectScopeOf(state, signer_of, link.project)) {
        target.projects.push_back(std::move(*scope));
      }
    }
    if (auto region = domain::Region::OfDepartement(member.finess.departement())) {
      target.regions.insert(region->code());
    }
  }
  if (!target.exists) {
    target.projects.clear();
    target.regions.clear();
  }
  return target;
}

ReadTarget ActiveDuiTarget(const Identity& who, ReadKind kind) {
  (void)who;  // every reader of the indicator reads the whole ledger's figure
  ReadTarget target;
  target.kind = kind;
  return target;
}

projections::ActiveDuiReport RestrictActiveDui(const projections::ActiveDuiReport& report,
                                               const std::set<std::string>& regions) {
  if (regions.empty()) return report;
  projections::ActiveDuiReport out;
  out.at = report.at;
  out.target = report.target;
  out.by_kind = report.by_kind;
  out.state_size = report.state_size;
  std::map<std::string, std::string> labels;
  for (const projections::ActiveDuiGroup& g : report.groups) labels[g.key] = g.label;
  std::map<std::string, projections::ActiveDuiGroup> groups;
  for (const projections::ActiveDuiEstablishment& ev : report.evidence) {
    if (!regions.contains(ev.region)) continue;
    out.total += ev.active_files;
    out.evidence.push_back(ev);
    // The report's own grouping keys (projections/report.cc KeyOf).
    std::string key;
    switch (report.by_kind) {
      case projections::ReportBy::kRegion:
        key = ev.region;
        break;
      case projections::ReportBy::kDepartment:
        key = ev.department;
        break;
      case projections::ReportBy::kProject:
        key = ev.project;
        break;
      case projections::ReportBy::kCampaign:
        key = ev.campaign;
        break;
      case projections::ReportBy::kNone:
        continue;
    }
    projections::ActiveDuiGroup& row = groups[key];
    row.total += ev.active_files;
    ++row.establishments;
  }
  out.establishments = static_cast<int64_t>(out.evidence.size());
  for (auto& [key, row] : groups) {
    row.key = key;
    auto label = labels.find(key);
    row.label = label == labels.end() ? key : label->second;
    out.by[key] = row.total;
    out.groups.push_back(std::move(row));
  }
  return out;
}

}  // namespace esms::service
