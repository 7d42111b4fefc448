// The demo's data tables. See demo/internal/tables.h.
#include "demo/internal/tables.h"

namespace esms::demo::internal {

const std::vector<RegionInfo>& Regions() {
  static const std::vector<RegionInfo> kRegions = {
      {"84",
       "ara",
       "Auvergne-Rhône-Alpes",
       {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"},
       120},
      {"27",
       "bfc",
       "Bourgogne-Franche-Comté",
       {"21", "25", "39", "58", "70", "71", "89", "90"},
       50},
      {"53", "bzh", "Bretagne", {"22", "29", "35", "56"}, 55},
      {"24", "cvl", "Centre-Val de Loire", {"18", "28", "36", "37", "41", "45"}, 40},
      {"94", "cor", "Corse", {"2A", "2B"}, 5},
      {"44", "ge", "Grand Est", {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}, 85},
      {"32", "hdf", "Hauts-de-France", {"02", "59", "60", "62", "80"}, 90},
      {"11", "idf", "Île-de-France", {"75", "77", "78", "91", "92", "93", "94", "95"}, 160},
      {"28", "nor", "Normandie", {"14", "27", "50", "61", "76"}, 55},
      {"75",
       "naq",
       "Nouvelle-Aquitaine",
       {"16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"},
       95},
      {"76",
       "occ",
       "Occitanie",
       {"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"},
       90},
      {"52", "pdl", "Pays de la Loire", {"44", "49", "53", "72", "85"}, 60},
      {"93", "paca", "Provence-Alpes-Côte d'Azur", {"04", "05", "06", "13", "83", "84"}, 75},
      {"01", "gua", "Guadeloupe", {"971"}, 5},
      {"02", "mtq", "Martinique", {"972"}, 5},
      {"03", "guy", "Guyane", {"973"}, 3},
      {"04", "reu", "La Réunion", {"974"}, 8},
      {"06", "myt", "Mayotte", {"976"}, 2},
  };
  return kRegions;
}

const std::map<std::string, std::vector<std::string>>& Towns() {
  static const std::map<std::string, std::vector<std::string>> kTowns = {
      {"22",
       {"Saint-Brieuc", "Lannion", "Dinan", "Guingamp", "Lamballe", "Loudéac", "Paimpol", "Plérin",
        "Perros-Guirec", "Quintin", "Rostrenen", "Tréguier"}},
      {"29",
       {"Brest", "Quimper", "Morlaix", "Concarneau", "Landerneau", "Quimperlé", "Douarnenez",
        "Landivisiau", "Carhaix-Plouguer", "Pont-l'Abbé", "Crozon", "Lesneven"}},
      {"35",
       {"Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon", "Dinard", "Bruz", "Cesson-Sévigné",
        "Montfort-sur-Meu", "Combourg", "Janzé", "Guichen"}},
      {"56",
       {"Vannes", "Lorient", "Pontivy", "Auray", "Ploërmel", "Lanester", "Hennebont", "Questembert",
        "Josselin", "Quiberon", "Guidel", "Malestroit"}},
  };
  return kTowns;
}

const std::vector<std::string>& GenericTowns() {
  static const std::vector<std::string> kTowns = {
      "Saint-Martin",   "Villeneuve",      "Beaulieu",    "Montfort",    "Bellevue",
      "Saint-Jean",     "Châteauneuf",     "Fontaine",    "Le Mesnil",   "Bourg-Neuf",
      "Saint-Pierre",   "Mont-Saint-Éloi", "La Chapelle", "Les Essarts", "Saint-Laurent",
      "Champagne",      "Rochefort",       "Valmont",     "Saint-Denis", "Bois-Colombes",
      "Clairefontaine", "Sainte-Marie"};
  return kTowns;
}

const std::vector<std::string>& HouseNames() {
  static const std::vector<std::string> kNames = {
      "Les Tilleuls",   "Les Glycines",    "Ker Anna",      "Les Hortensias", "Le Grand Chêne",
      "La Roseraie",    "Les Ajoncs",      "Kerélys",       "Saint-Joseph",   "Les Embruns",
      "Le Clos Fleuri", "Les Camélias",    "Ti Aour",       "La Source",      "Les Mimosas",
      "Le Verger",      "Les Bruyères",    "L'Arc-en-Ciel", "Les Peupliers",  "La Providence",
      "Le Littoral",    "Les Châtaigniers"};
  return kNames;
}

const std::vector<std::string>& AssociationNames() {
  static const std::vector<std::string> kNames = {"Les Papillons Blancs",
                                                  "Ar Roc'h",
                                                  "Saint-Yves",
                                                  "Les Genêts d'Or",
                                                  "Don Bosco",
                                                  "Amitiés d'Armor",
                                                  "Avel Vor",
                                                  "L'Hermine",
                                                  "Le Goëland",
                                                  "Kan Ar Mor",
                                                  "La Sauvegarde",
                                                  "Les Amis de l'Atelier",
                                                  "L'Essor",
                                                  "Le Pont",
                                                  "Espoir",
                                                  "La Passerelle",
                                                  "Les Ormeaux",
                                                  "Trait d'Union",
                                                  "Horizons",
                                                  "Le Phare",
                                                  "Aux Quatre Vents",
                                                  "L'Étoile"};
  return kNames;
}

const std::vector<Category>& Categories() {
  static const std::vector<Category> kCategories = {
      {"EHPAD", 240, 55, 120, false}, {"SSIAD", 80, 30, 110, false},
      {"SAAD", 130, 80, 320, true},   {"IME", 60, 30, 90, false},
      {"ESAT", 60, 40, 120, false},   {"MAS", 30, 30, 60, false},
      {"FAM", 30, 25, 50, false},     {"CHRS", 50, 30, 100, false},
      {"SESSAD", 70, 20, 60, false},  {"Foyer de vie", 50, 20, 50, false},
      {"CAMSP", 30, 80, 220, false},  {"Résidence autonomie", 50, 40, 80, false},
      {"SAVS", 60, 30, 80, false},    {"SAMSAH", 30, 25, 60, false},
  };
  return kCategories;
}

const std::vector<SolutionInfo>& Solutions() {
  static const std::vector<SolutionInfo> kSolutions = {
      {"Logisoins", "Sillage DUI", "5.2-segur"}, {"MedicoNet", "Parcours+", "3.1-segur"},
      {"Kerlog", "Kerdossier", "2.4-segur"},     {"Atlantique Informatique", "Siloé", "7.0-segur"},
      {"Numeria Santé", "Orféo", "4.3-segur"},   {"Helios Solutions", "DUI Social", "11.2-segur"},
  };
  return kSolutions;
}

const std::vector<std::string>& RejectionReasons() {
  static const std::vector<std::string> kReasons = {
      "dossier incomplet: devis et attestation de l'éditeur manquants",
      "envelope consumed: to resubmit at the next campaign",
      "grappe too small and no pooling of the deployment"};
  return kReasons;
}

}  // namespace esms::demo::internal
