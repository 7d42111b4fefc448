#include "domain/finess.h"

namespace esms::domain {
namespace {

inline constexpr std::string_view kFinessInvalid = "FINESS_INVALID";
inline constexpr std::string_view kSiretInvalid = "SIRET_INVALID";
inline constexpr std::string_view kLaPosteSiren = "356000000";
inline constexpr std::string_view kLaPosteHeadOffice = "35600000000048";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status FinessError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(kFinessInvalid,
                                 "\"" + std::string(text) + "\": " + std::string(why));
}

Status SiretError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(kSiretInvalid,
                                 "\"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!IsDigit(*it)) return false;
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return !digits.empty() && sum % 10 == 0;
}

// DOMAIN.md §0. The check key is a Luhn key over all 9 characters. For Corsica
// ("2A" / "2B") no published text gives the reading: it is INFERRED FROM REAL NUMBERS
// (2A0000170, 2B0000020 pass) that "2A" is read as "21" and "2B" as "22", the key
// then being computed over the resulting 9 digits exactly as elsewhere.
Result<Finess> Finess::Parse(std::string_view text) {
  if (text.size() != 9) {
    return FinessError(text,
                       "a FINESS number has 9 characters, not " + std::to_string(text.size()));
  }
  std::string digits(text);
  if (text[0] == '2' && (text[1] == 'A' || text[1] == 'B')) {
    digits[1] = text[1] == 'A' ? '1' : '2';
  } else if (text[1] == 'A' || text[1] == 'B') {
    return FinessError(text, "the letters A/B appear only in the Corsican 2A / 2B");
  }
  for (char c : digits) {
    if (!IsDigit(c)) {
      return FinessError(text, "only digits are allowed (letters only in 2A / 2B)");
    }
  }
  if (!LuhnValid(digits)) return FinessError(text, "wrong check key (Luhn)");
  return Finess(std::string(text));
}

std::string Finess::departement() const {
  if (text_.size() != 9) return "";  // the empty placeholder
  // DOMAIN.md §0: overseas numbers start 97 or 98 and the 4th character names the
  // territory (9701 Guadeloupe, 9702 Martinique, 9703 Guyane, 9704 Réunion,
  // 9805 Mayotte, 9806 Wallis-et-Futuna).
  if (text_[0] == '9' && (text_[1] == '7' || text_[1] == '8')) {
    // Interpretation: Mayotte's FINESS kept its pre-2011 territory code (985); the
    // département is 976 since 2011, which is the code the regions know.
    if (text_[1] == '8' && text_[3] == '5') return "976";
    return std::string(text_.substr(0, 2)) + text_[3];
  }
  return text_.substr(0, 2);
}

bool Finess::overseas_or_corsica() const {
  if (text_.size() != 9) return false;  // the empty placeholder
  return (text_[0] == '2' && (text_[1] == 'A' || text_[1] == 'B')) ||
         (text_[0] == '9' && (text_[1] == '7' || text_[1] == '8'));
}

Result<Siret> Siret::Parse(std::string_view text) {
  if (text.size() != 14) {
    return SiretError(
        text, "a SIRET number has 14 digits, not " + std::to_string(text.size()) + " characters");
  }
  int digit_sum = 0;
  for (char c : text) {
    if (!IsDigit(c)) return SiretError(text, "only digits are allowed");
    digit_sum += c - '0';
  }
  if (text.substr(0, 9) == kLaPosteSiren) {
    // DOMAIN.md §0: La Poste's sites are numbered with a digit sum multiple of 5, not
    // a Luhn key. Its head office, 35600000000048, keeps the ordinary Luhn key (INSEE's
    // published exception), so it is accepted as such.
    if (digit_sum % 5 != 0 && !(text == kLaPosteHeadOffice && LuhnValid(text))) {
      return SiretError(text, "La Poste SIRET: the digit sum must be a multiple of 5");
    }
  } else if (!LuhnValid(text)) {
    return SiretError(text, "wrong check key (Luhn)");
  }
  return Siret(std::string(text));
}

}  // namespace esms::domain
