#include "tests/reliability/fixture.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "ledger/internal/storage_keys.h"

namespace esms::testing {

json Solution(const std::string& product, const std::string& vendor, const std::string& version) {
  return {{"vendor", vendor}, {"product", product}, {"version", version}};
}

json Establishment(const std::string& finess, const std::string& situation) {
  return {{"finess", finess},
          {"finessEj", Ej(1)},
          {"name", "ESSMS " + finess},
          {"region", finess.substr(0, 2) == "75" ? "11" : "53"},
          {"situation", situation}};
}

json Submission(const std::string& project, const std::vector<std::string>& establishments) {
  json ests = json::array();
  for (const auto& f : establishments) ests.push_back(Establishment(f));
  return {{"project", project},
          {"campaign", "generalisation-2024"},
          {"porteur",
           {{"finessEj", Ej(1)}, {"siret", WithLuhnKey("1234567890001")}, {"name", "Porteur"}}},
          {"kind", "acquisition"},
          {"solution", Solution()},
          {"organisations", json::array({{{"finessEj", Ej(1)},
                                          {"name", "OG 1"},
                                          {"essmsTotal", 20},
                                          {"region", "53"}}})},
          {"establishments", ests},
          {"submittedAt", "2024-03-10"}};
}

json Measurement(const std::string& finess, int64_t persons, int64_t active_files) {
  return {{"finess", finess},
          {"periodStart", "2025-07-01"},
          {"periodEnd", "2025-09-30"},
          {"personsAccompanied", persons},
          {"activeFiles", active_files},
          {"activeFilesWithPlan", active_files},
          {"activeFilesWithAgendaEvent", active_files},
          {"mssanteMessages", persons},
          {"dmpFed", persons}};
}

std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const json& data) {
  return json{{"id", id}, {"type", type}, {"at", at}, {"data", data}}.dump() + "\n";
}

CliResult RunCliWith(const std::vector<std::string>& args, const std::string& stdin_text,
                     const Limits& limits) {
  return RunCli(args, stdin_text, [&limits] {
    if (limits.file_size.has_value()) {
      signal(SIGXFSZ, SIG_IGN);  // kept across exec: writes past the limit fail with EFBIG
      rlimit limit{*limits.file_size, *limits.file_size};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(126);
    }
    if (limits.as_nobody && geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
    }
  });
}

KeyedLedger::KeyedLedger(const std::filesystem::path& dir, const std::vector<Grant>& grants)
    : dir_(dir), ledger_((dir / "ledger.db").string()) {
  if (CliResult r = RunCli({"key", "new", "admin", "--out", KeyFile("admin"), "--json"});
      r.exit_code != 0) {
    error_ = "key new admin: " + r.err;
    return;
  } else {
    public_keys_["admin"] = json::parse(r.out)["publicKey"];
  }
  CliResult init = RunCli({"init", "--origin", "test.example/reliability", "--admin-key",
                           KeyFile("admin"), "--ledger", ledger_});
  if (init.exit_code != 0) {
    error_ = "init: " + init.err;
    return;
  }
  enrolled_seq_["admin"] = 0;
  std::string lines;
  for (const Grant& g : grants) {
    CliResult made = RunCli({"key", "new", g.name, "--out", KeyFile(g.name), "--json"});
    if (made.exit_code != 0) {
      error_ = "key new " + g.name + ": " + made.err;
      return;
    }
    public_keys_[g.name] = json::parse(made.out)["publicKey"];
    json data = {{"name", g.name},
                 {"publicKey", public_keys_[g.name]},
                 {"roles", g.roles},
                 {"regions", g.regions}};
    lines += Line("key-" + g.name, "key.enrolled", "2023-01-02", data);
  }
  if (lines.empty()) return;
  CliResult enrolled = Import("admin", lines);
  if (enrolled.exit_code != 0) {
    error_ = "enrolment: " + enrolled.out + enrolled.err;
    return;
  }
  const json results = json::parse(enrolled.out)["results"];
  for (const auto& r : results) {
    enrolled_seq_[r["id"].get<std::string>().substr(4)] = r["seq"];
  }
}

std::string KeyedLedger::KeyFile(const std::string& name) const {
  return (dir_ / (name + ".pem")).string();
}

CliResult KeyedLedger::Run(std::vector<std::string> args, const std::string& in) const {
  args.push_back("--ledger");
  args.push_back(ledger_);
  return RunCli(args, in);
}

CliResult KeyedLedger::Import(const std::string& signer, const std::string& lines) const {
  return RunCli({"import", "-", "--json", "--key", KeyFile(signer), "--ledger", ledger_}, lines);
}

json KeyedLedger::LastResult(const CliResult& r) {
  json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("results") && !parsed["results"].empty()) {
    return parsed["results"].back();
  }
  return parsed.is_object() ? parsed : json::object();
}

std::string KeyedLedger::Fingerprint() const {
  CliResult v = Run({"verify", "--json"});
  json j = json::parse(v.out, nullptr, false);
  if (v.exit_code != 0 || !j.is_object()) return "verify failed: " + v.out + v.err;
  return fmt::format("size {} root {} ok {}", j["size"].dump(), j["root"].dump(), j["ok"].dump());
}

RawDb::RawDb(const std::filesystem::path& dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (std::string_view name : ledger::storage::kColumnFamilies) {
    descriptors.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
  }
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descriptors, &handles_, &db_);
  if (!s.ok()) db_ = nullptr;
}

RawDb::~RawDb() {
  if (db_ == nullptr) return;
  for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
  (void)db_->Close();
  delete db_;
}

rocksdb::ColumnFamilyHandle* RawDb::Family(std::string_view name) {
  for (size_t i = 0; i < ledger::storage::kColumnFamilies.size(); ++i) {
    if (ledger::storage::kColumnFamilies[i] == name) return handles_[i + 1];
  }
  std::abort();
}

std::optional<std::string> RawDb::Get(std::string_view family, const std::string& key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Family(family), key, &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

void RawDb::Put(std::string_view family, const std::string& key, const std::string& value) {
  rocksdb::WriteOptions w;
  w.sync = true;
  if (!db_->Put(w, Family(family), key, value).ok()) std::abort();
}

void RawDb::Delete(std::string_view family, const std::string& key) {
  rocksdb::WriteOptions w;
  w.sync = true;
  if (!db_->Delete(w, Family(family), key).ok()) std::abort();
}

std::vector<std::string> RawDb::Keys(std::string_view family) {
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  return keys;
}

}  // namespace esms::testing
