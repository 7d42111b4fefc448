#include "domain/entitlement.h"

#include <map>
#include <set>
#include <string>

namespace esms::domain {
namespace {

inline constexpr std::string_view kDuplicateFiness = "DUPLICATE_FINESS";
inline constexpr std::string_view kInvalidProjectKind = "INVALID_PROJECT_KIND";

// The OGs of a project by FINESS EJ. Interpretation: when an OG is listed more than
// once (submission and extensions), its first entry (as at submission) counts, so an
// extension never changes the entitlement of the ESSMS already funded.
using OgIndex = std::map<std::string, const OrganisationEntry*>;

OgIndex IndexOgs(const std::vector<OrganisationEntry>& organisations) {
  OgIndex index;
  for (const OrganisationEntry& og : organisations) index.emplace(og.finess_ej.str(), &og);
  return index;
}

Result<const OrganisationEntry*> OgOf(const OgIndex& index, const EstablishmentEntry& e) {
  auto it = index.find(e.finess_ej.str());
  if (it == index.end()) {
    return Status::BadInput("establishment " + e.finess.str() + " names OG " + e.finess_ej.str() +
                            ", which is not among the organisations");
  }
  return it->second;
}

// Interpretation: an OG is "in Corsica or overseas" for the small-OG threshold when
// its region (organisations[].region) is an overseas region or Corse.
bool SmallOg(Campaign campaign, const OrganisationEntry& og) {
  return IsSmallOg(campaign, og.essms_total, og.region.overseas_or_corsica());
}

Status CheckListShape(const std::vector<EstablishmentEntry>& establishments) {
  if (establishments.empty()) {
    return Status::BadInput("a project has at least one establishment");
  }
  // 000 §4.4.1, 003 §3.3.1, 002 Éligibilité: "un FINESS = une subvention"; the count
  // is of unique FINESS géographiques, and a FINESS listed twice is an error.
  std::map<std::string, size_t> first_rank;
  for (size_t i = 0; i < establishments.size(); ++i) {
    auto [it, inserted] = first_rank.emplace(establishments[i].finess.str(), i + 1);
    if (!inserted) {
      return Status::InvalidArgument(
          kDuplicateFiness, "FINESS " + it->first + " is listed twice (ranks " +
                                std::to_string(it->second) + " and " + std::to_string(i + 1) +
                                "): one FINESS g\u00e9ographique is one ESSMS and one subsidy");
    }
  }
  return Status::OK();
}

Status CheckLineInputs(const EstablishmentEntry& e) {
  if (e.saad_hours) {
    const SaadHours& h = *e.saad_hours;
    if (h.total <= 0 || h.eligible < 0 || h.eligible > h.total) {
      return Status::BadInput("establishment " + e.finess.str() +
                              ": SAAD hours need 0 <= " + "eligible <= total and total > 0 (got " +
                              std::to_string(h.eligible) + " / " + std::to_string(h.total) + ")");
    }
  }
  if (e.equipment_quote_cents && *e.equipment_quote_cents < 0) {
    return Status::BadInput("establishment " + e.finess.str() + ": negative equipment quote");
  }
  return Status::OK();
}

// Amorçage (001 Projets éligibles 2): "Le financement d'un projet correspondra soit à
// l'acquisition d'une solution DUI soit la mise en conformité d'une solution existante
// [...] mais en aucun cas aux deux types de projets."
Status CheckAmorcageKind(const ProjectShape& shape) {
  if (shape.acquisitions > 0 && shape.upgrades > 0) {
    return Status::FailedPrecondition(
        kInvalidProjectKind,
        "an amor\u00e7age project is either an acquisition or a conformity project, never "
        "both (001 Projets \u00e9ligibles): " +
            std::to_string(shape.acquisitions) + " ESMS in acquisition, " +
            std::to_string(shape.upgrades) + " in conformity");
  }
  return Status::OK();
}

std::string Hours(const SaadHours& h) {
  return "SAAD prorata " + std::to_string(h.eligible) + "/" + std::to_string(h.total) + " h";
}

void AppendNote(std::string* note, const std::string& text) {
  if (!note->empty()) *note += "; ";
  *note += text;
}

// AMOA (000 §4.4.2 3 / 003 §3.3.2 3): « un financement forfaitaire [maximum] de 100 K€
// par projet [...] est également possible pour les regroupements composés d'organismes
// de petite taille ». DOMAIN.md §3: it needs at least two OGs, all small; a single
// small OG is no regroupement and gets none (issue 13 item 5).
// Interpretation: the OGs counted are those with an ESSMS among `establishments` (the
// ESSMS the entitlement is computed over). 2023: the flat 100 000 €; 2024+:
// min(requested, 100 000 €).
Money AmoaForRegroupement(const Rulebook& rules,
                          const std::vector<EstablishmentEntry>& establishments, const OgIndex& ogs,
                          Money requested, std::vector<std::string>* notes) {
  if (rules.amoa_model.value == AmoaModel::kNone) {
    notes->push_back("AMOA request ignored: no separate AMOA amount in " + std::string(rules.id) +
                     " (" + std::string(rules.amoa_model.source) + ")");
    return Money::Zero();
  }
  std::set<std::string> og_numbers;
  for (const EstablishmentEntry& e : establishments) {
    auto it = ogs.find(e.finess_ej.str());
    if (it == ogs.end()) continue;  // ComputeEntitlement refused it already
    og_numbers.insert(e.finess_ej.str());
    if (!SmallOg(rules.campaign, *it->second)) {
      notes->push_back("AMOA not funded: only for a regroupement of small OGs, and OG " +
                       it->second->finess_ej.str() + " (" +
                       std::to_string(it->second->essms_total) + " ESSMS) is not small (" +
                       std::string(rules.amoa_amount.source) + ")");
      return Money::Zero();
    }
  }
  if (og_numbers.size() < 2) {
    notes->push_back(
        "AMOA not funded: a single small OG is no regroupement; at least two "
        "OGs, all small (" +
        std::string(rules.amoa_amount.source) + ")");
    return Money::Zero();
  }
  if (rules.amoa_model.value == AmoaModel::kFlat) return rules.amoa_amount.value;
  return Min(requested, rules.amoa_amount.value);
}

}  // namespace

bool IsSmallOg(Campaign campaign, int64_t essms_total, bool overseas_or_corsica) {
  // 000 §4.4.2 3) / 003 §3.3.2 3): "moins de 8 ESSMS pour la Corse et les territoires
  // ultramarins et moins de 15 ESSMS pour les autres territoires".
  return essms_total < RulebookFor(campaign).small_og_below.For(overseas_or_corsica);
}

// 000 §4.7: « Les dossiers de demande d'aide sont différenciés en fonction du type de
// projet (Acquisition d'un DUI ou mise en conformité d'une solution existante) »; 002
// Mise en grappes: « il est possible de constituer des grappes avec des établissements
// qui acquièrent un DUI et d'autres bénéficiant de financements à l'usage » (mixed).
// DOMAIN.md §2: `acquisition` = every ESSMS in acquisition, `usage` = every ESSMS in
// upgrade, `mixed` = both present (issue 13 item 11).
// Interpretation: checked over the submission's ESSMS; a complément de grappe may add
// either situation (002 « au cas par cas ») without changing the kind filed.
Status CheckProjectKind(ProjectKind kind, const ProjectShape& shape) {
  const bool ok = kind == ProjectKind::kAcquisition ? shape.upgrades == 0 && shape.acquisitions > 0
                  : kind == ProjectKind::kUsage     ? shape.acquisitions == 0 && shape.upgrades > 0
                                                    : shape.acquisitions > 0 && shape.upgrades > 0;
  if (ok) return Status::OK();
  return Status::FailedPrecondition(
      kInvalidProjectKind,
      "a project of kind " + std::string(ToString(kind)) + " has " +
          std::to_string(shape.acquisitions) + " ESSMS in acquisition and " +
          std::to_string(shape.upgrades) +
          " in upgrade: acquisition = all in acquisition, usage = all in upgrade, mixed = "
          "both (000 \u00a74.7, 002 Mise en grappes)");
}

ProjectShape ShapeOf(const std::vector<EstablishmentEntry>& establishments) {
  ProjectShape shape;
  std::set<std::string> finess, ogs, regions;
  bool all_far = !establishments.empty();
  for (const EstablishmentEntry& e : establishments) {
    if (!finess.insert(e.finess.str()).second) continue;  // counted once
    ogs.insert(e.finess_ej.str());
    regions.insert(e.region.code());
    all_far = all_far && e.finess.overseas_or_corsica();
    if (e.situation == Situation::kAcquisition) {
      ++shape.acquisitions;
    } else {
      ++shape.upgrades;
    }
  }
  shape.unique_essms = static_cast<int>(finess.size());
  shape.ogs = static_cast<int>(ogs.size());
  shape.regions = static_cast<int>(regions.size());
  // DOMAIN.md §2 / the brief: a project is "overseas / Corsica" when all its ESSMS are.
  shape.overseas_or_corsica = all_far;
  return shape;
}

// Order of operations for one ESSMS (DOMAIN.md §3, "rounding down to the cent, and only
// at the end of the computation"):
//   1. rank r = its position in the project's list (submission, then extensions);
//   2. usage = the usage rate of its own situation at rank r, software = the software
//      rate (acquisition only) at rank r — exact cents;
//   3. forfait = usage + software, then, for a SAAD, forfait * eligible / total hours
//      computed with a 128-bit product and rounded down once (Money::MulDiv);
//   4. small-OG equipment = min(quote, campaign cap), not prorated (000 §4.4.1 /
//      003 §3.3.1 modulate it "en fonction des devis", a separate modulation);
//   5. line total = forfait + equipment; project total = sum of lines + AMOA.
// Interpretation (mixed grappes, DOMAIN.md §3): ranks run over the whole project
// whatever the situations; each ESSMS gets its own situation's rate at its rank.
Result<ProjectEntitlement> ComputeEntitlement(Campaign campaign,
                                              const std::vector<OrganisationEntry>& organisations,
                                              const std::vector<EstablishmentEntry>& establishments,
                                              std::optional<Money> amoa_requested) {
  const Rulebook& rules = RulebookFor(campaign);
  RETURN_IF_ERROR(CheckListShape(establishments));
  if (amoa_requested && amoa_requested->cents() < 0) {
    return Status::BadInput("negative AMOA request");
  }
  const ProjectShape shape = ShapeOf(establishments);
  const bool amorcage = rules.funding_model.value == FundingModel::kAmorcageForfaits;
  if (amorcage) RETURN_IF_ERROR(CheckAmorcageKind(shape));

  const OgIndex ogs = IndexOgs(organisations);
  ProjectEntitlement result;
  result.campaign = campaign;

  for (size_t i = 0; i < establishments.size(); ++i) {
    const EstablishmentEntry& e = establishments[i];
    RETURN_IF_ERROR(CheckLineInputs(e));
    ASSIGN_OR_RETURN(const OrganisationEntry* og, OgOf(ogs, e));

    EntitlementLine line;
    line.finess = e.finess;
    line.finess_ej = e.finess_ej;
    line.rank = static_cast<int>(i) + 1;
    line.situation = e.situation;
    line.small_og = SmallOg(campaign, *og);
    const bool acquisition = e.situation == Situation::kAcquisition;

    if (amorcage) {
      // 001: "dans la limite de 30 ESMS par projet"; "le financement sera alors limité à
      // trente établissements". Interpretation: ESMS ranked after the 30th are not
      // funded at all (forfait and equipment).
      if (line.rank > rules.amorcage_max_funded_esms.value) {
        line.note = "rank " + std::to_string(line.rank) + " > " +
                    std::to_string(rules.amorcage_max_funded_esms.value) +
                    ": not funded (001 Projets \u00e9ligibles)";
        result.lines.push_back(std::move(line));
        continue;
      }
      // 001: 25 k€ per ESMS (acquisition), 10 k€ per ESMS (conformity).
      line.usage = acquisition ? rules.amorcage_acquisition_per_esms.value
                               : rules.amorcage_conformity_per_esms.value;
      line.forfait = line.usage;
      // Interpretation: 001 has no SAAD prorata; none is applied in amorçage.
      if (e.saad_hours) AppendNote(&line.note, "SAAD hours ignored: 001 has no prorata");
    } else {
      // 000 §4.4.2 / 003 §3.3.2: rates by rank; upgrade software is paid by SONS.
      const int last_full = rules.last_full_rate_rank.value;
      line.usage = acquisition ? rules.acquisition_usage.At(line.rank, last_full)
                               : rules.upgrade_usage.At(line.rank, last_full);
      line.software =
          acquisition ? rules.acquisition_software.At(line.rank, last_full) : Money::Zero();
      line.forfait = line.usage + line.software;
      // 000 §4.4.1 / 003 §3.3.1 and Annexe 1: "l'aide est modulée au prorata du nombre
      // d'heures éligibles"; the forfait is multiplied then divided, rounded down once.
      if (e.saad_hours) {
        line.forfait = line.forfait.MulDiv(e.saad_hours->eligible, e.saad_hours->total);
        AppendNote(&line.note, Hours(*e.saad_hours));
      }
    }

    // 000 §4.4.2 3) / 003 §3.3.2 3) / 001: equipment for small OGs' ESSMS, at most the
    // cap, never more than the quote (nor the real expense: checked at payment).
    if (e.equipment_quote_cents && *e.equipment_quote_cents > 0) {
      if (line.small_og) {
        line.small_og_equipment =
            Min(Money::Cents(*e.equipment_quote_cents), rules.small_og_equipment_cap.value);
      } else {
        AppendNote(&line.note, "equipment quote not funded: OG " + og->finess_ej.str() +
                                   " is not small (" + std::to_string(og->essms_total) + " ESSMS)");
      }
    }
    line.total = line.forfait + line.small_og_equipment;
    result.essms_total += line.total;
    result.lines.push_back(std::move(line));
  }

  // AMOA: see AmoaForRegroupement.
  if (amoa_requested && amoa_requested->cents() > 0) {
    result.amoa = AmoaForRegroupement(rules, establishments, ogs, *amoa_requested, &result.notes);
  }
  result.total = result.essms_total + result.amoa;
  return result;
}

Result<GrappeSizeAssessment> AssessGrappeSize(
    Campaign campaign, const std::vector<OrganisationEntry>& organisations,
    const std::vector<EstablishmentEntry>& establishments) {
  const Rulebook& rules = RulebookFor(campaign);
  if (establishments.empty()) {
    return Status::BadInput("a project has at least one establishment");
  }
  const ProjectShape shape = ShapeOf(establishments);
  GrappeSizeAssessment a;
  a.unique_essms = shape.unique_essms;
  a.ogs = shape.ogs;
  a.overseas_or_corsica = shape.overseas_or_corsica;
  const std::string where = shape.overseas_or_corsica ? " (overseas / Corsica)" : "";

  if (rules.funding_model.value != FundingModel::kAmorcageForfaits) {
    // 000 §4.2 D / 003 §3.2 D: "idéalement quinze structures [...] huit dans les
    // territoires ultramarins et la Corse"; "L'ARS appréciera ce minima": a warning,
    // in every campaign, 2025 included (see the 2025 rulebook: the "au moins 15" of 002
    // is a reminder in its MECS answer, DOMAIN.md §2).
    const bool refusal = rules.grappe_size_is_refusal.value;
    a.required_essms = rules.grappe_ideal_essms.For(shape.overseas_or_corsica);
    a.source = refusal ? rules.grappe_size_is_refusal.source : rules.grappe_ideal_essms.source;
    a.below = a.unique_essms < a.required_essms;
    a.outcome = !a.below  ? GrappeSizeAssessment::Outcome::kOk
                : refusal ? GrappeSizeAssessment::Outcome::kRefusal
                          : GrappeSizeAssessment::Outcome::kWarning;
    a.detail = std::to_string(a.unique_essms) + " unique FINESS ET" + where +
               (refusal ? "; at least " : "; ideally ") + std::to_string(a.required_essms) +
               " or more" +
               (!a.below  ? ""
                : refusal ? ": below the campaign's minimum"
                          : ": below, left to the ARS's judgement");
    return a;
  }

  RETURN_IF_ERROR(CheckAmorcageKind(shape));
  a.source = rules.amorcage_min_esms.source;
  if (shape.acquisitions == 0) {
    a.detail = "conformity project: no grappe size threshold (001 Projets \u00e9ligibles 2)";
    return a;
  }
  // 001 Projets éligibles 1): at least 3 OGs and 15 ESMS (2 and 8 overseas / Corsica).
  a.required_essms = rules.amorcage_min_esms.For(shape.overseas_or_corsica);
  a.required_ogs = rules.amorcage_min_ogs.For(shape.overseas_or_corsica);
  a.below = a.unique_essms < a.required_essms || a.ogs < a.required_ogs;
  a.detail = std::to_string(a.ogs) + " OGs and " + std::to_string(a.unique_essms) +
             " unique FINESS ET" + where + "; an acquisition needs at least " +
             std::to_string(a.required_ogs) + " OGs and " + std::to_string(a.required_essms) +
             " ESMS";
  if (!a.below) return a;

  // 001: "Les organismes gestionnaires moyens et de grande taille pourront également
  // acquérir une nouvelle solution DUI (cas d'un changement de solution), le financement
  // sera alors limité à trente établissements." Interpretation (DOMAIN.md §2): medium
  // or large = 15 ESMS or more (8 overseas / Corsica); the exemption applies when every
  // OG of the project is medium or large.
  const OgIndex ogs = IndexOgs(organisations);
  bool all_medium_or_large = true;
  for (const EstablishmentEntry& e : establishments) {
    ASSIGN_OR_RETURN(const OrganisationEntry* og, OgOf(ogs, e));
    if (SmallOg(campaign, *og)) all_medium_or_large = false;
  }
  if (all_medium_or_large) {
    a.outcome = GrappeSizeAssessment::Outcome::kOk;
    a.detail +=
        ": below, but carried by medium or large OGs changing their solution "
        "(funded for at most 30 ESMS)";
    return a;
  }
  a.outcome = GrappeSizeAssessment::Outcome::kRefusal;
  a.detail += ": below, refused";
  return a;
}

}  // namespace esms::domain
