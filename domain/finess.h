// Finess and Siret: the identifiers of establishments (FINESS géographique, "ET"),
// of legal entities (FINESS juridique, "EJ") and of their SIRET numbers.
//
// Both are small value types that exist only when valid: the factories check the
// format and the check key (DOMAIN.md §0) and return a Status otherwise.
//
// Thread-safety: immutable value types; safe to share between threads.
#ifndef ESMS_DOMAIN_FINESS_H_
#define ESMS_DOMAIN_FINESS_H_

#include <compare>
#include <string>
#include <string_view>

#include "base/status.h"

namespace esms::domain {

// A FINESS number (ET or EJ: the format is the same). DOMAIN.md §0:
// 9 characters `[0-9][0-9AB][0-9]{7}` (letters only as the Corsican "2A" / "2B"),
// the last one a Luhn key over all 9 characters with "2A" read as "21" and "2B" as
// "22".
class Finess {
 public:
  // An empty placeholder, so that structs holding a Finess can be filled field by
  // field; it is not a FINESS number (str() is empty, departement() is empty). Only
  // Parse() makes a valid one.
  Finess() = default;

  // Error: Status::InvalidArgument("FINESS_INVALID", "<text>: <why>").
  static Result<Finess> Parse(std::string_view text);

  const std::string& str() const { return text_; }

  // The département: "01".."95", "2A", "2B" in metropolitan France; overseas
  // (FINESS "97x"/"98x", the 4th character naming the territory): "971" Guadeloupe,
  // "972" Martinique, "973" Guyane, "974" La Réunion, "975" Saint-Pierre-et-Miquelon,
  // "976" Mayotte (FINESS "9805", its pre-2011 code 985), "984".."988" for the other
  // 98x territories.
  std::string departement() const;
  // True for Corsica and overseas: the number starts "2A", "2B", "97" or "98"
  // (DOMAIN.md §0: the lower size thresholds apply there).
  bool overseas_or_corsica() const;

  friend auto operator<=>(const Finess&, const Finess&) = default;
  friend bool operator==(const Finess&, const Finess&) = default;

 private:
  explicit Finess(std::string text) : text_(std::move(text)) {}

  std::string text_;
};

// A SIRET number: 14 digits with a Luhn key; La Poste's establishments (SIREN
// 356000000) instead need a digit sum that is a multiple of 5.
class Siret {
 public:
  // An empty placeholder (see Finess()); only Parse() makes a valid one.
  Siret() = default;

  // Error: Status::InvalidArgument("SIRET_INVALID", "<text>: <why>").
  static Result<Siret> Parse(std::string_view text);

  const std::string& str() const { return text_; }
  // The first 9 digits: the legal unit's SIREN.
  std::string_view siren() const {
    return text_.size() < 9 ? std::string_view() : std::string_view(text_).substr(0, 9);
  }

  friend auto operator<=>(const Siret&, const Siret&) = default;
  friend bool operator==(const Siret&, const Siret&) = default;

 private:
  explicit Siret(std::string text) : text_(std::move(text)) {}

  std::string text_;
};

// True when the decimal digits of `digits` (ASCII '0'..'9' only) pass the Luhn check.
bool LuhnValid(std::string_view digits);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_FINESS_H_
