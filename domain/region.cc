#include "domain/region.h"

#include <array>

namespace esms::domain {
namespace {

struct RegionInfo {
  std::string_view code;
  std::string_view name;
  bool overseas_or_corsica;
  // Space-separated département codes (INSEE, 2016 regions).
  std::string_view departements;
};

constexpr std::array<RegionInfo, 18> kRegions = {{
    {"01", "Guadeloupe", true, "971"},
    {"02", "Martinique", true, "972"},
    {"03", "Guyane", true, "973"},
    {"04", "La R\u00e9union", true, "974"},
    {"06", "Mayotte", true, "976"},
    {"11", "\u00cele-de-France", false, "75 77 78 91 92 93 94 95"},
    {"24", "Centre-Val de Loire", false, "18 28 36 37 41 45"},
    {"27", "Bourgogne-Franche-Comt\u00e9", false, "21 25 39 58 70 71 89 90"},
    {"28", "Normandie", false, "14 27 50 61 76"},
    {"32", "Hauts-de-France", false, "02 59 60 62 80"},
    {"44", "Grand Est", false, "08 10 51 52 54 55 57 67 68 88"},
    {"52", "Pays de la Loire", false, "44 49 53 72 85"},
    {"53", "Bretagne", false, "22 29 35 56"},
    {"75", "Nouvelle-Aquitaine", false, "16 17 19 23 24 33 40 47 64 79 86 87"},
    {"76", "Occitanie", false, "09 11 12 30 31 32 34 46 48 65 66 81 82"},
    {"84", "Auvergne-Rh\u00f4ne-Alpes", false, "01 03 07 15 26 38 42 43 63 69 73 74"},
    {"93", "Provence-Alpes-C\u00f4te d'Azur", false, "04 05 06 13 83 84"},
    {"94", "Corse", true, "2A 2B"},
}};

const RegionInfo* Find(std::string_view code) {
  for (const RegionInfo& info : kRegions) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

bool ListContains(std::string_view list, std::string_view item) {
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find(' ', start);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(start, end - start) == item) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Result<Region> Region::Parse(std::string_view code) {
  if (Find(code) == nullptr) {
    std::string known;
    for (const RegionInfo& info : kRegions) {
      if (!known.empty()) known += ", ";
      known += info.code;
    }
    return Status::BadInput("unknown INSEE region code \"" + std::string(code) +
                            "\" (known: " + known + ")");
  }
  return Region(std::string(code));
}

std::vector<Region> Region::All() {
  std::vector<Region> all;
  all.reserve(kRegions.size());
  for (const RegionInfo& info : kRegions) all.push_back(Region(std::string(info.code)));
  return all;
}

std::optional<Region> Region::OfDepartement(std::string_view departement) {
  if (departement.empty()) return std::nullopt;
  for (const RegionInfo& info : kRegions) {
    if (ListContains(info.departements, departement)) {
      return Region(std::string(info.code));
    }
  }
  return std::nullopt;
}

std::string_view Region::name() const {
  const RegionInfo* info = Find(code_);
  return info == nullptr ? std::string_view() : info->name;
}

bool Region::overseas_or_corsica() const {
  const RegionInfo* info = Find(code_);
  return info != nullptr && info->overseas_or_corsica;
}

}  // namespace esms::domain
