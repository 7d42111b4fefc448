// The demo's data tables: the INSEE regions and their départements, town and house
// names, ESSMS categories, the Ségur DUI solutions, the committees' rejection reasons.
// Constant data, apart from the code that draws from it.
//
// Thread-safety: immutable after first use (function-local statics); safe from any
// thread.
#ifndef ESMS_DEMO_INTERNAL_TABLES_H_
#define ESMS_DEMO_INTERNAL_TABLES_H_

#include <map>
#include <string>
#include <vector>

namespace esms::demo::internal {

// A region (2016 regions) and its share of the national establishments.
struct RegionInfo {
  const char* code;
  const char* slug;
  const char* name;
  std::vector<std::string> departements;
  int weight;  // per mille
};
const std::vector<RegionInfo>& Regions();

// Real towns by département (Bretagne's); other départements draw from GenericTowns.
const std::map<std::string, std::vector<std::string>>& Towns();
const std::vector<std::string>& GenericTowns();
const std::vector<std::string>& HouseNames();
const std::vector<std::string>& AssociationNames();

// An ESSMS category, its weight (per mille) and the persons it accompanies.
struct Category {
  const char* name;
  int weight;
  int persons_min;
  int persons_max;
  bool saad;  // declares its hours (DOMAIN.md §3)
};
const std::vector<Category>& Categories();

struct SolutionInfo {
  const char* vendor;
  const char* product;
  const char* version;
};
const std::vector<SolutionInfo>& Solutions();

const std::vector<std::string>& RejectionReasons();

}  // namespace esms::demo::internal

#endif  // ESMS_DEMO_INTERNAL_TABLES_H_
