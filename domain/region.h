// Region: a French region by its INSEE code ("53" Bretagne, "06" Mayotte, ...). Each
// ARS acts in one region; a project's guichet and submission window depend on how
// many regions its establishments are in (DOMAIN.md §1, §2).
//
// The known codes: 01 Guadeloupe, 02 Martinique, 03 Guyane, 04 La Réunion,
// 06 Mayotte, 11 Île-de-France, 24 Centre-Val de Loire, 27 Bourgogne-Franche-Comté,
// 28 Normandie, 32 Hauts-de-France, 44 Grand Est, 52 Pays de la Loire, 53 Bretagne,
// 75 Nouvelle-Aquitaine, 76 Occitanie, 84 Auvergne-Rhône-Alpes,
// 93 Provence-Alpes-Côte d'Azur, 94 Corse.
//
// Thread-safety: immutable value type; safe to share between threads.
#ifndef ESMS_DOMAIN_REGION_H_
#define ESMS_DOMAIN_REGION_H_

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace esms::domain {

class Region {
 public:
  // An empty placeholder, so that structs holding a Region can be filled field by
  // field: code() and name() are empty. Only Parse() makes a valid one.
  Region() = default;

  // Error: Status::BadInput("unknown INSEE region code \"<code>\" (known: ...)").
  static Result<Region> Parse(std::string_view code);

  // The 18 regions, ordered by code.
  static std::vector<Region> All();

  // The region a département belongs to ("35" -> "53", "2A" -> "94", "976" -> "06");
  // nullopt for an unknown département or an overseas collectivity outside the 18
  // regions (975, 977, 978, 984-988).
  static std::optional<Region> OfDepartement(std::string_view departement);

  const std::string& code() const { return code_; }
  // The French name, UTF-8 ("Île-de-France").
  std::string_view name() const;
  // Overseas regions (01, 02, 03, 04, 06) and Corse (94): the lower size thresholds.
  bool overseas_or_corsica() const;

  friend auto operator<=>(const Region&, const Region&) = default;
  friend bool operator==(const Region&, const Region&) = default;

 private:
  explicit Region(std::string code) : code_(std::move(code)) {}

  std::string code_;
};

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_REGION_H_
