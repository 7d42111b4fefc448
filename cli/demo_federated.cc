// `demo --scale national --federated`: the orchestrator. See cli/demo_federated.h.
#include "cli/demo_federated.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "domain/finess.h"
#include "domain/money.h"
#include "ledger/note.h"
#include "witness/cosigned.h"

namespace esms::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The 18 regions (INSEE code, the demo's slug, weight: its share of the establishments,
// as demo/internal/tables.cc draws them at national scale).
struct RegionRow {
  const char* code;
  const char* slug;
  int weight;
};
constexpr RegionRow kRegions[] = {
    {"53", "bzh", 55}, {"84", "ara", 120}, {"27", "bfc", 50},  {"24", "cvl", 40}, {"94", "cor", 5},
    {"44", "ge", 85},  {"32", "hdf", 90},  {"11", "idf", 160}, {"28", "nor", 55}, {"75", "naq", 95},
    {"76", "occ", 90}, {"52", "pdl", 60},  {"93", "paca", 75}, {"01", "gua", 5},  {"02", "mtq", 5},
    {"03", "guy", 3},  {"04", "reu", 8},   {"06", "myt", 2},
};
constexpr int kMinEstablishments =
    150;  // a region's least (three projects and more, whatever the seed)
// The whole programme's establishments by default, shared by the regions' weights: sized
// so that the whole demo takes less than 3 minutes on 2 cores (BENCHMARKS.md).
constexpr int kDefaultFederatedEstablishments = 10000;
constexpr const char* kNationalOrigin = "demo.esms-numerique.example/national";
constexpr const char* kWitnessName = "witness.demo.esms-numerique.example/national";
// The national ledger's project (issue 16: « a national-guichet project (50 ESSMS or more
// in several regions) in the national ledger »; 000 §4.3, 003 §7, DOMAIN.md §2): one
// organisme gestionnaire of Bretagne and Pays de la Loire, 56 of its ESSMS moving to the
// Ségur version of their DUI (usage funding), on généralisation 2024, whose multi-regional
// files are received from 2024-01-15 to 2024-06-01 (003 §8).
struct NationalSite {
  const char* dept;
  const char* region;
  const char* town;
};
constexpr NationalSite kNationalSites[] = {
    {"35", "53", "Rennes"}, {"22", "53", "Saint-Brieuc"}, {"29", "53", "Quimper"},
    {"56", "53", "Vannes"}, {"44", "52", "Nantes"},       {"49", "52", "Angers"},
    {"53", "52", "Laval"},  {"72", "52", "Le Mans"},      {"85", "52", "La Roche-sur-Yon"},
};
constexpr const char* kNationalKinds[] = {"EHPAD", "IME", "SSIAD",  "ESAT",
                                          "MAS",   "FAM", "SESSAD", "Foyer de vie"};
constexpr int kNationalEssms = 56;  // 32 in Bretagne, 24 in Pays de la Loire
constexpr int kNationalInBretagne = 32;
// Its FINESS numbers: département + "0" + a 5-digit serial. The region demos draw theirs
// from 00101 (establishments) and 50001 (organisations) up, a neighbour's from 20 000 +
// 1 000 x its home region's index (demo/internal/plan.cc, phases.cc: below 40 000 and
// 90 000), so 96 001 and 99 001 up are nobody's: no region ledger counts them
// (DUPLICATE_FINESS, docs/federation.md §3).
constexpr int kNationalEtSerial = 96000;
constexpr int kNationalEjSerial = 99000;
constexpr const char* kNationalProject = "nat-2024-fondation-ouest-solidarites";
// Its quarters of measurement (003 §4 A: DUI indicators over the 3 months elapsed) and,
// per quarter, the per cent reached of each indicator's denominator: active files,
// with a plan, with an agenda event (of the active files), MSSanté, DMP (of the persons);
// the targets (90 / 90 / 90 / 70 / 70) reached by every ESSMS from the first quarter 2025.
struct NationalQuarter {
  const char* start;
  const char* end;
  int active, plan, agenda, mssante, dmp;
};
constexpr NationalQuarter kNationalQuarters[] = {
    {"2024-07-01", "2024-09-30", 62, 70, 75, 40, 35},
    {"2024-10-01", "2024-12-31", 81, 85, 88, 60, 58},
    {"2025-01-01", "2025-03-31", 93, 92, 93, 74, 72},
    {"2025-04-01", "2025-06-30", 94, 93, 94, 76, 75},
    {"2025-07-01", "2025-09-30", 95, 94, 95, 78, 77},
    {"2025-10-01", "2025-12-31", 96, 95, 96, 80, 79},
};

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStepTimeout = std::chrono::seconds(600);
constexpr auto kStopGrace = std::chrono::seconds(10);

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnInterrupt(int signal) { g_interrupted = signal; }

Status Interrupted() { return Status::Internal("interrupted: every child process stopped"); }

// SIGINT and SIGTERM set g_interrupted while the demo runs; the old handlers come back
// at the end.
class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
    g_interrupted = 0;
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last non-empty line of `text` (an error message of a child).
std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// The size of the checkpoint note in `file` (a cosigned.note, a tiles checkpoint); 0 when
// there is none yet.
uint64_t NoteSize(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return 0;
  Result<uint64_t> size = witness::CheckpointSize(ReadAll(file));
  return size.ok() ? *size : 0;
}

struct Finished {
  int code = -1;  // exit code; 128 + N killed by signal N
  std::string out, err;
  // What it said last: its error (stderr, or stdout with --json).
  std::string said() const { return LastLine(err).empty() ? LastLine(out) : LastLine(err); }
};

// The children: each one this program with arguments, stdout and stderr to files of
// DIR/logs. The destructor stops and reaps every child still running.
class Children {
 public:
  Children(fs::path program, fs::path logs)
      : program_(std::move(program)), logs_(std::move(logs)) {}
  ~Children() { StopAll(); }
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;

  struct Proc {
    pid_t pid = -1;
    std::string name;
    fs::path out, err;
  };

  Result<Proc> Spawn(const std::string& name, const std::vector<std::string>& args) {
    if (g_interrupted != 0) return Interrupted();
    Proc p{.pid = -1, .name = name, .out = logs_ / (name + ".out"), .err = logs_ / (name + ".err")};
    std::vector<std::string> argv_text = {program_.string()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int out = ::open(p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = ::open(p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0) {
      for (int fd : {out, err, in}) {
        if (fd >= 0) ::close(fd);
      }
      return Status::IoError("cannot open the log files of " + name + " in " + logs_.string());
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // The child: async-signal-safe calls only. Its own process group (^C reaches the
      // orchestrator, which stops it), and SIGKILL if the orchestrator dies.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::close_range(3, ~0U, 0);  // no descriptor of the orchestrator's (a test's pipe) leaks
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out);
    ::close(err);
    ::close(in);
    if (pid < 0)
      return Status::IoError(fmt::format("cannot start {}: {}", name, std::strerror(errno)));
    p.pid = pid;
    running_.push_back(p);
    ++started_count_;
    return p;
  }

  // The child's exit, if it has exited (reaped, and forgotten).
  std::optional<int> Poll(const Proc& p) {
    int status = 0;
    const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
    if (r == 0) return std::nullopt;
    Forget(p.pid);
    if (r < 0) return 255;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  Result<Finished> Wait(const Proc& p, Clock::duration timeout = kStepTimeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (std::optional<int> code = Poll(p)) return Finished{*code, ReadAll(p.out), ReadAll(p.err)};
      if (g_interrupted != 0) return Interrupted();
      if (Clock::now() > deadline) {
        Stop(p);
        return Status::Internal(
            fmt::format("{} did not finish in time (log: {})", p.name, p.err.string()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Result<Finished> Run(const std::string& name, const std::vector<std::string>& args) {
    ASSIGN_OR_RETURN(Proc p, Spawn(name, args));
    return Wait(p);
  }

  // Waits for a line of the child's stdout that starts with `prefix`; returns the line.
  Result<std::string> WaitForLine(const Proc& p, std::string_view prefix) {
    return WaitForText(p, p.out, prefix, /*anywhere=*/false);
  }

  // Waits for a line of the child's `file` (its stdout or stderr) that starts with
  // `text` (or holds it, when `anywhere`), while the child runs; returns the line.
  Result<std::string> WaitForText(const Proc& p, const fs::path& file, std::string_view text,
                                  bool anywhere) {
    const auto deadline = Clock::now() + kStartTimeout;
    for (;;) {
      std::istringstream lines(ReadAll(file));
      for (std::string line; std::getline(lines, line);) {
        if (anywhere ? line.find(text) != std::string::npos : line.starts_with(text)) return line;
      }
      if (std::optional<int> code = Poll(p)) {
        return Status::Internal(fmt::format("{} exited ({}) before it said \"{}\": {}", p.name,
                                            *code, text, LastLine(ReadAll(p.err))));
      }
      if (g_interrupted != 0) return Interrupted();
      if (Clock::now() > deadline) {
        return Status::Internal(fmt::format("{} did not say \"{}\" in time", p.name, text));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // SIGTERM, then SIGKILL after the grace period; reaped.
  void Stop(const Proc& p) {
    if (std::find_if(running_.begin(), running_.end(),
                     [&](const Proc& r) { return r.pid == p.pid; }) == running_.end()) {
      return;
    }
    ::kill(p.pid, SIGTERM);
    const auto deadline = Clock::now() + kStopGrace;
    while (!Poll(p).has_value()) {
      if (Clock::now() > deadline) {
        ::kill(p.pid, SIGKILL);
        int status = 0;
        ::waitpid(p.pid, &status, 0);
        Forget(p.pid);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void StopAll() {
    for (const Proc& p : running_) ::kill(p.pid, SIGTERM);
    while (!running_.empty()) {
      const Proc p = running_.back();  // a copy: Stop forgets it
      Stop(p);
    }
  }

  size_t started() const { return started_count_; }

 private:
  void Forget(pid_t pid) {
    running_.erase(std::remove_if(running_.begin(), running_.end(),
                                  [&](const Proc& r) { return r.pid == pid; }),
                   running_.end());
  }

  fs::path program_, logs_;
  std::vector<Proc> running_;
  size_t started_count_ = 0;
};

struct Ledger {
  std::string name, code;  // code: the region's INSEE code, "" for the national ledger
  int establishments = 0;
  uint64_t seed = 0;
  fs::path home;  // DIR/ledgers/NAME: keys/, ledger/, events.jsonl
  fs::path ledger() const { return home / "ledger"; }
  fs::path pub() const { return ledger() / "ledger.pub"; }
  fs::path socket;
  Children::Proc serve;
  std::string http;  // the tiles API's address, when served
  uint64_t records = 0;
  int64_t own_total = -1;  // its own demo's active-DUI figure at the date, when drawn
};

class Federated {
 public:
  Federated(const Globals& g, const DemoArgs& args, fs::path dir, fs::path program)
      : g_(g), args_(args), dir_(std::move(dir)), children_(std::move(program), dir_ / "logs") {}

  Status Run();
  bool all_expected() const { return failures_ == 0; }
  // With --json: the phases and the outcomes, for the summary on stdout.
  const json& phases() const { return phases_; }
  const json& outcomes() const { return outcomes_; }

 private:
  // The walk-through's console: stdout, or stderr with --json (stdout then gets the
  // summary only).
  std::FILE* console() const { return g_.json ? g_.err : g_.out; }
  // A phase's line: what was done, and its time.
  void Phase(std::string_view name, Clock::time_point started, const std::string& what) {
    const double s = std::chrono::duration<double>(Clock::now() - started).count();
    fmt::print(console(), "[{:>6.1f} s] {:<10} {}\n", s, name, what);
    std::fflush(console());
    phases_.push_back({{"name", name}, {"seconds", s}, {"what", what}});
  }
  void Detail(const std::string& text) {
    fmt::print(console(), "             {}\n", text);
    std::fflush(console());
  }
  // An expected outcome: said, and counted when it did not happen.
  void Expect(bool happened, const std::string& what) {
    if (!happened) ++failures_;
    fmt::print(console(), "             {} {}\n", happened ? "[ok]" : "[FAILED]", what);
    std::fflush(console());
    outcomes_.push_back({{"ok", happened}, {"what", what}});
  }

  Status Plan();
  Status Build();
  Status BuildNational(Ledger& nat);
  // Imports `events` (JSON lines) into `nat` signed by its key `key_name`, through the
  // program (`import --key`): a refusal is a failed step.
  Status ImportAs(const Ledger& nat, const std::string& batch, const std::string& key_name,
                  const std::vector<json>& events);
  // What `check` says the national project's `tranche` may be paid at `at`; an error
  // naming the conditions unmet when it may not.
  Result<int64_t> Payable(const Ledger& nat, const std::string& tranche, const std::string& at);
  Status StartWitness();
  Status StartServers();
  Status StartServer(Ledger& l, bool http, const std::string& name = "");
  Status Cosign();
  Status Mirror();
  Status NationalReport();
  Status Rollback();
  Status TamperedTile();
  Result<Finished> Succeed(const std::string& name, const std::vector<std::string>& args);
  Status EnrolAuditor(Ledger& l, const std::string& key_name);
  Result<std::string> MirrorCheckpoint();
  // Waits until the checkpoint note in `file`, kept by `by`, is at least `size` long.
  Status WaitForNote(const Children::Proc& by, const fs::path& file, uint64_t size);
  fs::path Cosigned(const Ledger& l) const { return l.ledger() / witness::kCosignedCheckpointFile; }
  fs::path Tiles(const Ledger& l) const { return dir_ / "tiles" / l.name; }

  const Globals& g_;
  const DemoArgs& args_;
  fs::path dir_;
  Children children_;
  std::vector<Ledger> ledgers_;  // the regions, then the national ledger
  Ledger* rolled_ = nullptr;     // the region rolled back
  Ledger* mirrored_ = nullptr;   // the region mirrored
  Children::Proc witness_;
  std::string witness_url_, witness_key_;
  std::string at_;
  std::string national_detail_;  // what the national ledger holds, for the walk-through
  int failures_ = 0;
  json phases_ = json::array(), outcomes_ = json::array();
};

Result<Finished> Federated::Succeed(const std::string& name, const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(Finished f, children_.Run(name, args));
  if (f.code != 0) {
    return Status::Internal(fmt::format("{} failed (exit {}): {}", name, f.code, f.said()));
  }
  return f;
}

Status Federated::Plan() {
  const int count = args_.regions;
  if (count < 2 || count > static_cast<int>(std::size(kRegions))) {
    return Status::InvalidArgument(error_code::kUsage, "--regions takes 2 to 18");
  }
  // The establishments of the whole programme, shared by weight (at least the generator's
  // least per region).
  const int total =
      args_.establishments > 0 ? args_.establishments : kDefaultFederatedEstablishments;
  int weights = 0;
  for (int i = 0; i < count; ++i) weights += kRegions[i].weight;
  for (int i = 0; i < count; ++i) {
    Ledger l;
    l.name = kRegions[i].slug;
    l.code = kRegions[i].code;
    l.establishments = std::max(kMinEstablishments, total * kRegions[i].weight / weights);
    // A seed per region: its own keys, ledger key included (the federation refuses two
    // ledgers trusting one key).
    l.seed = args_.seed * 100 + static_cast<uint64_t>(i) + 1;
    l.home = dir_ / "ledgers" / l.name;
    ledgers_.push_back(l);
  }
  Ledger national;
  national.name = "national";
  national.home = dir_ / "ledgers" / "national";
  ledgers_.push_back(national);
  rolled_ = &ledgers_[0];
  mirrored_ = &ledgers_[1];
  at_ = fmt::format("{}-12-31", args_.until);
  std::error_code ec;
  for (const char* sub : {"logs", "ledgers", "run", "witness", "tiles", "mirrors", "backups"}) {
    fs::create_directories(dir_ / sub, ec);
    if (ec)
      return Status::IoError(
          fmt::format("cannot create {}: {}", (dir_ / sub).string(), ec.message()));
  }
  return Status::OK();
}

// A FINESS number: `body` (8 characters) and its Luhn key (DOMAIN.md §0).
Result<std::string> WithFinessKey(const std::string& body) {
  for (char c = '0'; c <= '9'; ++c) {
    if (Result<domain::Finess> f = domain::Finess::Parse(body + c); f.ok()) return f->str();
  }
  return Status::Internal("no FINESS key for " + body);
}

// A SIRET number: `body` (13 digits) and its Luhn key.
Result<std::string> WithSiretKey(const std::string& body) {
  for (char c = '0'; c <= '9'; ++c) {
    if (Result<domain::Siret> s = domain::Siret::Parse(body + c); s.ok()) return s->str();
  }
  return Status::Internal("no SIRET key for " + body);
}

// `count` x `per_cent` / 100, rounded up: a rate at or above its target meets it
// (DOMAIN.md §6: numerator x 100 >= target x denominator).
int64_t PerCent(int64_t count, int per_cent) { return (count * per_cent + 99) / 100; }

Status Federated::ImportAs(const Ledger& nat, const std::string& batch, const std::string& key_name,
                           const std::vector<json>& events) {
  const fs::path file = nat.home / "events" / (batch + ".jsonl");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    for (const json& e : events) out << e.dump() << "\n";
    if (!out) return Status::IoError("cannot write " + file.string());
  }
  const fs::path key = nat.home / "keys" / (key_name + ".pem");
  return Succeed("national-import-" + batch, {"import", file.string(), "--key", key.string(),
                                              "--ledger", nat.ledger().string()})
      .status();
}

Result<int64_t> Federated::Payable(const Ledger& nat, const std::string& tranche,
                                   const std::string& at) {
  ASSIGN_OR_RETURN(Finished f, Succeed("national-check-" + tranche,
                                       {"check", kNationalProject, "--ledger",
                                        nat.ledger().string(), "--at", at, "--json"}));
  const json j = json::parse(f.out, nullptr, false);
  if (j.is_object() && j.contains("tranches")) {
    for (const json& t : j["tranches"]) {
      if (t.value("tranche", "") != tranche) continue;
      if (t.value("payable", false) && t.value("amountCents", int64_t{0}) > 0) {
        return t["amountCents"].get<int64_t>();
      }
      std::string unmet;
      for (const json& c : t.value("conditions", json::array())) {
        if (!c.value("met", true))
          unmet += " " + c.value("code", "") + ": " + c.value("detail", "");
      }
      return Status::Internal(fmt::format("the {} of {} is not payable at {}:{}", tranche,
                                          kNationalProject, at, unmet));
    }
  }
  return Status::Internal("check printed no tranche " + tranche + ": " + LastLine(f.out));
}

// The national ledger's national-guichet project, its events signed by the keys the
// rules name (INTERFACE.md §1) and imported through the program, so that the guard checks
// each: the national key enrolled by the national admin (`key.enrolled`), which declares
// the solution's Ségur referencing, selects the project and signs its convention (a
// national-guichet project is selected and conventioned by the `national` role); the
// porteur, which submits the file, reports its ESSMS' measurements each quarter and
// its certified expenses; the ARS of the lead region (Bretagne, 32 of the 56 ESSMS),
// which pays the advance at the convention and the balance once the whole grappe meets
// the targets over a common quarter (003 §3.4, §4).
Status Federated::BuildNational(Ledger& nat) {
  std::error_code ec;
  fs::create_directories(nat.home / "events", ec);
  if (ec) return Status::IoError("cannot create " + (nat.home / "events").string());
  const std::string national = "cnsa-national", porteur = "porteur-fondation-ouest",
                    payer = "ars-bretagne-payer";
  std::vector<json> keys;
  for (const auto& [name, role, regions] :
       {std::tuple{national, "national", json::array()},
        std::tuple{porteur, "porteur", json::array({"53", "52"})},
        std::tuple{payer, "ars-payer", json::array({"53"})}}) {
    ASSIGN_OR_RETURN(Finished made,
                     Succeed("national-key-" + name,
                             {"key", "new", name, "--out",
                              (nat.home / "keys" / (name + ".pem")).string(), "--json"}));
    const json k = json::parse(made.out, nullptr, false);
    if (!k.is_object() || !k.contains("publicKey")) {
      return Status::Internal("key new printed no publicKey: " + LastLine(made.out));
    }
    keys.push_back({{"id", "national/key/" + name},
                    {"type", "key.enrolled"},
                    {"at", "2023-09-01"},
                    {"data",
                     {{"name", name},
                      {"publicKey", k["publicKey"]},
                      {"roles", json::array({role})},
                      {"regions", regions}}}});
  }
  RETURN_IF_ERROR(ImportAs(nat, "1-keys", "national-admin", keys));

  const json solution = {
      {"vendor", "Numeria Sant\u00e9"}, {"product", "Orf\u00e9o"}, {"version", "4.3-segur"}};
  RETURN_IF_ERROR(ImportAs(nat, "2-referencing", national,
                           {{{"id", "national/solution/numeria-orfeo-4.3-segur"},
                             {"type", "solution.referenced"},
                             {"at", "2023-10-02"},
                             {"data",
                              {{"solution", solution},
                               {"corridor", "medico-social"},
                               {"status", "referenced"},
                               {"referencedAt", "2023-10-02"}}}}}));

  ASSIGN_OR_RETURN(const std::string ej,
                   WithFinessKey(fmt::format("350{:05d}", kNationalEjSerial + 1)));
  ASSIGN_OR_RETURN(const std::string siret, WithSiretKey("7756192840001"));
  const std::string og_name = "Fondation Ouest Solidarit\u00e9s";
  json establishments = json::array();
  std::vector<std::string> finess;
  std::vector<int64_t> persons;
  for (int i = 0; i < kNationalEssms; ++i) {
    const NationalSite& site =
        i < kNationalInBretagne
            ? kNationalSites[i % 4]
            : kNationalSites[4 + (i - kNationalInBretagne) % (std::size(kNationalSites) - 4)];
    ASSIGN_OR_RETURN(std::string f,
                     WithFinessKey(fmt::format("{}0{:05d}", site.dept, kNationalEtSerial + 1 + i)));
    const char* kind = kNationalKinds[static_cast<size_t>(i) % std::size(kNationalKinds)];
    establishments.push_back({{"finess", f},
                              {"finessEj", ej},
                              {"name", fmt::format("{} {} {}", kind, og_name, site.town)},
                              {"region", site.region},
                              {"situation", "upgrade"}});
    finess.push_back(f);
    persons.push_back(40 + (i * 53) % 160);
  }
  RETURN_IF_ERROR(ImportAs(
      nat, "3-submission", porteur,
      {{{"id", "national/" + std::string(kNationalProject) + "/submitted"},
        {"type", "project.submitted"},
        {"at", "2024-03-20"},
        {"data",
         {{"project", kNationalProject},
          {"campaign", "generalisation-2024"},
          {"porteur", {{"finessEj", ej}, {"siret", siret}, {"name", og_name}}},
          {"kind", "usage"},
          {"solution", solution},
          {"organisations",
           json::array(
               {{{"finessEj", ej}, {"name", og_name}, {"essmsTotal", 64}, {"region", "53"}}})},
          {"establishments", establishments},
          {"submittedAt", "2024-03-20"}}}}}));
  // The convention grants the entitlement the ledger computes (`state`: 003 §3.3.2).
  ASSIGN_OR_RETURN(Finished state, Succeed("national-state", {"state", kNationalProject, "--ledger",
                                                              nat.ledger().string(), "--json"}));
  const json st = json::parse(state.out, nullptr, false);
  if (!st.is_object() || !st.contains("entitlementCents")) {
    return Status::Internal("state printed no entitlementCents: " + LastLine(state.out));
  }
  const int64_t grant = st["entitlementCents"].get<int64_t>();
  const std::string id = "national/" + std::string(kNationalProject);
  RETURN_IF_ERROR(
      ImportAs(nat, "4-selection-convention", national,
               {{{"id", id + "/selected"},
                 {"type", "project.selected"},
                 {"at", "2024-05-15"},
                 {"data", {{"project", kNationalProject}, {"committeeAt", "2024-05-15"}}}},
                {{"id", id + "/convention"},
                 {"type", "convention.signed"},
                 {"at", "2024-07-01"},
                 {"data",
                  {{"project", kNationalProject},
                   {"signedAt", "2024-07-01"},
                   {"amountCents", grant},
                   {"establishments", finess},
                   {"durationMonths", 9}}}}}));
  auto payment = [&](const char* tranche, int64_t cents, const char* at) {
    return json{{"id", id + "/payment/" + tranche},
                {"type", "payment.issued"},
                {"at", at},
                {"data",
                 {{"project", kNationalProject},
                  {"tranche", tranche},
                  {"amountCents", cents},
                  {"paidAt", at},
                  {"reference", fmt::format("ARS53-{}-{}", tranche, at)}}}};
  };
  // Each tranche paid as `check` says it is payable (003 §3.4: 50 % at the convention).
  ASSIGN_OR_RETURN(const int64_t advance, Payable(nat, "advance", "2024-07-22"));
  RETURN_IF_ERROR(ImportAs(nat, "5-advance", payer, {payment("advance", advance, "2024-07-22")}));
  std::vector<json> reported;
  int64_t active_at_end = 0;
  for (size_t q = 0; q < std::size(kNationalQuarters); ++q) {
    const NationalQuarter& quarter = kNationalQuarters[q];
    for (size_t i = 0; i < finess.size(); ++i) {
      const int more = static_cast<int>(i % 3);  // each ESSMS a little apart
      const int64_t n = persons[i];
      const int64_t active = PerCent(n, std::min(100, quarter.active + more));
      reported.push_back(
          {{"id", fmt::format("national/m/{}/{}", finess[i], quarter.end)},
           {"type", "indicator.measured"},
           {"at", quarter.end},
           {"data",
            {{"finess", finess[i]},
             {"periodStart", quarter.start},
             {"periodEnd", quarter.end},
             {"personsAccompanied", n},
             {"activeFiles", active},
             {"activeFilesWithPlan", PerCent(active, std::min(100, quarter.plan + more))},
             {"activeFilesWithAgendaEvent", PerCent(active, std::min(100, quarter.agenda + more))},
             {"mssanteMessages", PerCent(n, quarter.mssante + more)},
             {"dmpFed", PerCent(n, quarter.dmp + more)}}}});
      if (q + 1 == std::size(kNationalQuarters)) active_at_end += active;
    }
  }
  reported.push_back({{"id", id + "/expenses"},
                      {"type", "expenses.certified"},
                      {"at", "2025-04-25"},
                      {"data",
                       {{"project", kNationalProject},
                        {"totalCents", grant + grant / 10},
                        {"equipmentCents", 0},
                        {"certifiedBy", "statutory-auditor"},
                        {"certifiedAt", "2025-04-25"}}}});
  RETURN_IF_ERROR(ImportAs(nat, "6-measurements-expenses", porteur, reported));
  // 50 % at the end, the whole grappe meeting the targets over a common quarter (003 §4).
  ASSIGN_OR_RETURN(const int64_t balance, Payable(nat, "balance", "2025-05-12"));
  RETURN_IF_ERROR(ImportAs(nat, "7-balance", payer, {payment("balance", balance, "2025-05-12")}));

  // Its own figure at the demo's today, and its size.
  ASSIGN_OR_RETURN(Finished report,
                   Succeed("national-own-report", {"report", "active-dui", "--ledger",
                                                   nat.ledger().string(), "--at", at_, "--json"}));
  const json r = json::parse(report.out, nullptr, false);
  if (!r.is_object() || !r.contains("total")) {
    return Status::Internal("the national ledger's report is not the expected JSON: " +
                            LastLine(report.out));
  }
  nat.own_total = r["total"].get<int64_t>();
  ASSIGN_OR_RETURN(
      Finished checkpoint,
      Succeed("national-checkpoint", {"checkpoint", "--ledger", nat.ledger().string(), "--json"}));
  const json c = json::parse(checkpoint.out, nullptr, false);
  if (c.is_object() && c.contains("size")) nat.records = c["size"].get<uint64_t>();
  national_detail_ = fmt::format(
      "the national ledger: project {} (generalisation-2024, national guichet: {} ESSMS of {} in "
      "Bretagne and Pays de la Loire, usage), selected and conventioned by the national key "
      "({}), {} paid by the ARS of Bretagne (advance and balance), {} quarterly measurements; "
      "its own active-DUI figure at {}: {} ({} in the last quarter's measurements), {} records",
      kNationalProject, kNationalEssms, og_name, national,
      domain::Money::Cents(advance + balance).ToString(), reported.size() - 1, at_, nat.own_total,
      active_at_end, nat.records);
  return Status::OK();
}

// Each region's own demo (`demo --region CODE --federated`), two at a time; the national
// ledger made with `key new` and `init`; a copy of the ledger to roll back, kept before it
// is served.
Status Federated::Build() {
  const auto started = Clock::now();
  Ledger& nat = ledgers_.back();
  std::error_code ec;
  fs::create_directories(nat.home / "keys", ec);
  RETURN_IF_ERROR(Succeed("national-key", {"key", "new", "national-admin", "--out",
                                           (nat.home / "keys" / "national-admin.pem").string()})
                      .status());
  RETURN_IF_ERROR(
      Succeed("national-init", {"init", "--origin", kNationalOrigin, "--admin-key",
                                (nat.home / "keys" / "national-admin.pem").string(), "--admin-name",
                                "national-admin", "--ledger", nat.ledger().string()})
          .status());
  RETURN_IF_ERROR(BuildNational(nat));
  std::vector<std::pair<Children::Proc, Ledger*>> running;
  size_t next = 0;
  const size_t regions = ledgers_.size() - 1;
  while (next < regions || !running.empty()) {
    while (next < regions && running.size() < 2) {
      Ledger& l = ledgers_[next++];
      ASSIGN_OR_RETURN(
          Children::Proc p,
          children_.Spawn("demo-" + l.name, {"demo", "--federated", "--dir", l.home.string(),
                                             "--region", l.code, "--seed", std::to_string(l.seed),
                                             "--establishments", std::to_string(l.establishments),
                                             "--until", std::to_string(args_.until), "--json"}));
      running.emplace_back(p, &l);
    }
    for (auto it = running.begin(); it != running.end();) {
      std::optional<int> code = children_.Poll(it->first);
      if (!code.has_value()) {
        ++it;
        continue;
      }
      Ledger& l = *it->second;
      const std::string out = ReadAll(it->first.out);
      if (*code != 0) {
        return Status::Internal(fmt::format("the demo of {} failed (exit {}): {}", l.name, *code,
                                            Finished{*code, out, ReadAll(it->first.err)}.said()));
      }
      // Its records and its own active-DUI figure at the demo's today (`demo --json`).
      json j = json::parse(out, nullptr, false);
      if (j.is_object() && j.contains("verify") && j["verify"].contains("size")) {
        l.records = j["verify"]["size"].get<uint64_t>();
      }
      if (j.is_object() && j.contains("activeDui") && j["activeDui"].value("latestAt", "") == at_) {
        l.own_total = j["activeDui"]["latestTotal"].get<int64_t>();
      }
      it = running.erase(it);
    }
    if (g_interrupted != 0) return Interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The copy a careless (or dishonest) operator will restore later: the ledger as built.
  fs::copy(rolled_->ledger(), dir_ / "backups" / rolled_->name, fs::copy_options::recursive, ec);
  if (ec) return Status::IoError("cannot copy " + rolled_->ledger().string() + ": " + ec.message());
  uint64_t records = 0;
  for (const Ledger& l : ledgers_) records += l.records;
  Phase("build", started,
        fmt::format("{} region ledgers and the national one, 2 at a time: {} records in all "
                    "(logs in {})",
                    regions, records, (dir_ / "logs").string()));
  Detail(fmt::format(
      "each in {}/NAME/ledger, its ledger key there (ledger.key), its signers' "
      "keys in NAME/keys; a copy of {} as built in {}",
      (dir_ / "ledgers").string(), rolled_->name, (dir_ / "backups" / rolled_->name).string()));
  Detail(national_detail_);
  return Status::OK();
}

Status Federated::StartWitness() {
  const auto started = Clock::now();
  const fs::path key = dir_ / "witness" / "witness.pem";
  RETURN_IF_ERROR(
      Succeed("witness-key", {"key", "new", "witness", "--out", key.string()}).status());
  std::vector<std::string> args = {
      "witness",    "serve",  "--listen",   "127.0.0.1:0", "--key",
      key.string(), "--name", kWitnessName, "--state",     (dir_ / "witness" / "state").string(),
      "--json"};
  for (const Ledger& l : ledgers_) {
    args.push_back("--log");
    args.push_back(l.pub().string());
  }
  ASSIGN_OR_RETURN(witness_, children_.Spawn("witness", args));
  ASSIGN_OR_RETURN(std::string line, children_.WaitForLine(witness_, "{"));
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("url") || !j.contains("witness")) {
    return Status::Internal("the witness's first line is not its address: " + line);
  }
  witness_url_ = j["url"].get<std::string>();
  witness_key_ = j["witness"].get<std::string>();
  Phase("witness", started,
        fmt::format("witness serve on {} (pid {}), for the {} ledgers' ledger.pub", witness_url_,
                    witness_.pid, ledgers_.size()));
  Detail("its key: " + key.string() + "; its verifier key (public): " + witness_key_);
  return Status::OK();
}

Status Federated::WaitForNote(const Children::Proc& by, const fs::path& file, uint64_t size) {
  const auto deadline = Clock::now() + kStartTimeout;
  while (NoteSize(file) < size) {
    if (std::optional<int> code = children_.Poll(by)) {
      return Status::Internal(fmt::format("{} exited ({}) before {} reached size {}: {}", by.name,
                                          *code, file.string(), size, LastLine(ReadAll(by.err))));
    }
    if (g_interrupted != 0) return Interrupted();
    if (Clock::now() > deadline) {
      return Status::Internal(fmt::format("{} did not reach size {} in time (see {})",
                                          file.string(), size, by.err.string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::OK();
}

// `serve` of one ledger: its checkpoints pushed to the witness (the cosigned one kept in
// the ledger directory); the mirrored region's also with its tiles API and its tiles kept
// current in DIR/tiles/NAME.
Status Federated::StartServer(Ledger& l, bool http, const std::string& name) {
  l.socket = dir_ / "run" / (l.name + ".sock");
  std::vector<std::string> args = {"serve",
                                   "--listen",
                                   "unix:" + l.socket.string(),
                                   "--no-auth",
                                   "--ledger",
                                   l.ledger().string(),
                                   "--witness",
                                   witness_url_ + "," + witness_key_};
  if (http) {
    for (const std::string& a : {std::string("--http"), std::string("127.0.0.1:0"),
                                 std::string("--export-tiles"), Tiles(l).string()}) {
      args.push_back(a);
    }
  }
  ASSIGN_OR_RETURN(l.serve, children_.Spawn(name.empty() ? "serve-" + l.name : name, args));
  return Status::OK();
}

Status Federated::StartServers() {
  const auto started = Clock::now();
  for (Ledger& l : ledgers_) RETURN_IF_ERROR(StartServer(l, &l == mirrored_));
  std::string pids;
  for (Ledger& l : ledgers_) {
    RETURN_IF_ERROR(children_.WaitForLine(l.serve, "listening on ").status());
    if (&l == mirrored_) {
      ASSIGN_OR_RETURN(std::string line, children_.WaitForLine(l.serve, "http listening on "));
      l.http = "http://" + line.substr(std::string_view("http listening on ").size());
    }
    pids += fmt::format("{}{} {}", pids.empty() ? "" : ", ", l.name, l.serve.pid);
  }
  Phase("serve", started,
        fmt::format("{} serve processes listening on unix sockets in {} (pids: {})",
                    ledgers_.size(), (dir_ / "run").string(), pids));
  return Status::OK();
}

// Each ledger's latest checkpoint pushed to the witness and cosigned.
Status Federated::Cosign() {
  const auto started = Clock::now();
  Result<ledger::NoteVerifier> key = ledger::ParseVerifierKey(witness_key_);
  if (!key.ok()) return key.status();
  size_t cosigned = 0;
  for (const Ledger& l : ledgers_) {
    RETURN_IF_ERROR(WaitForNote(l.serve, Cosigned(l), 1));
    if (!witness::ValidCosigners(ReadAll(Cosigned(l)), {*key}).empty()) ++cosigned;
  }
  Phase("cosign", started,
        fmt::format("each serve pushed its latest checkpoint to the witness (serve --witness) and "
                    "keeps the cosigned one in its ledger directory (ledger/{})",
                    witness::kCosignedCheckpointFile));
  Expect(cosigned == ledgers_.size(),
         fmt::format("{} of the {} cosigned checkpoints carry a valid cosignature of the witness",
                     cosigned, ledgers_.size()));
  return Status::OK();
}

Result<std::string> Federated::MirrorCheckpoint() {
  ASSIGN_OR_RETURN(Finished f,
                   Succeed("mirror-checkpoint", {"checkpoint", "--ledger",
                                                 (dir_ / "mirrors" / mirrored_->name).string()}));
  return f.out;
}

Status Federated::Mirror() {
  const auto started = Clock::now();
  const fs::path copy = dir_ / "mirrors" / mirrored_->name;
  ASSIGN_OR_RETURN(Finished f, Succeed("mirror-" + mirrored_->name,
                                       {"mirror", "--from", mirrored_->http, "--dir", copy.string(),
                                        "--trust", mirrored_->pub().string()}));
  Phase("mirror", started,
        fmt::format("{} followed through the tiles its serve publishes ({}) into {}",
                    mirrored_->name, mirrored_->http, copy.string()));
  Detail(LastLine(f.out.empty() ? f.err : f.out));
  return Status::OK();
}

Status Federated::NationalReport() {
  const auto started = Clock::now();
  json entries = json::array();
  for (const Ledger& l : ledgers_) {
    // Each share fetched from the ledger's serve process (docs/federation.md §1), checked
    // with the ledger.pub trusted for it, and bound to the checkpoint the witness cosigned:
    // verify-bundle --federation requires its cosignature on every part.
    entries.push_back({{"name", l.name},
                       {"server", "unix:" + l.socket.string()},
                       {"trust", l.pub().string()},
                       {"witness", json::array({witness_key_})}});
  }
  const fs::path federation = dir_ / "federation.json";
  {
    std::ofstream out(federation, std::ios::binary | std::ios::trunc);
    out << entries.dump(1) << "\n";
    if (!out) return Status::IoError("cannot write " + federation.string());
  }
  const auto report_started = Clock::now();
  ASSIGN_OR_RETURN(Finished report,
                   Succeed("national-report", {"report", "active-dui", "--federation",
                                               federation.string(), "--at", at_, "--json"}));
  const double report_seconds =
      std::chrono::duration<double>(Clock::now() - report_started).count();
  json j = json::parse(report.out, nullptr, false);
  if (!j.is_object() || !j.contains("total") || !j.contains("shares")) {
    return Status::Internal("the national report is not the expected JSON: " +
                            LastLine(report.out));
  }
  const int64_t total = j["total"].get<int64_t>();
  Phase(
      "report", started,
      fmt::format(
          "national active DUI at {}: {} files over {} establishments, the sum of {} "
          "shares, one per ledger, each fetched from its serve (report active-dui --federation {}: "
          "{:.1f} s)",
          at_, total, j.value("establishments", 0), j["shares"].size(), federation.string(),
          report_seconds));
  int64_t own_sum = 0;
  bool all_own = true;
  for (const json& share : j["shares"]) {
    const std::string name = share.value("name", "");
    auto it = std::find_if(ledgers_.begin(), ledgers_.end(),
                           [&](const Ledger& l) { return l.name == name; });
    if (it == ledgers_.end() || it->own_total < 0) {
      all_own = false;
      continue;
    }
    own_sum += it->own_total;
  }
  Expect(
      j["shares"].size() == ledgers_.size(),
      fmt::format("one share per ledger: {} shares, each bound to its ledger's signed checkpoint",
                  j["shares"].size()));
  if (all_own) {
    Expect(own_sum == total,
           fmt::format("the national total is the sum of each region's own figure "
                       "(its own demo's report at {}) and the national ledger's own "
                       "(its report active-dui): {}",
                       at_, own_sum));
  }
  // The national ledger's share: its national-guichet project's ESSMS.
  const Ledger& nat = ledgers_.back();
  int64_t national_share = -1;
  for (const json& share : j["shares"]) {
    if (share.value("name", "") == nat.name) national_share = share.value("total", int64_t{-1});
  }
  Expect(national_share > 0 && national_share == nat.own_total,
         fmt::format("the national ledger's share is its national-guichet project's: {} active "
                     "files, its own report's {}",
                     national_share, nat.own_total));
  // The national bundle: every share's evidence, checkable with the ledger.pub files only.
  const fs::path bundle = dir_ / "national-bundle.json";
  const auto bundle_started = Clock::now();
  RETURN_IF_ERROR(
      Succeed("national-bundle", {"report", "active-dui", "--federation", federation.string(),
                                  "--at", at_, "--bundle", bundle.string()})
          .status());
  const double bundle_seconds =
      std::chrono::duration<double>(Clock::now() - bundle_started).count();
  const json claim = json::parse(ReadAll(bundle), nullptr, false);
  Expect(claim.is_object() && claim.contains("claim") && claim["claim"].value("total", -1) == total,
         fmt::format("the national bundle {} claims the same total ({:.1f} s to write)",
                     bundle.string(), bundle_seconds));
  const auto verify_started = Clock::now();
  ASSIGN_OR_RETURN(Finished verified,
                   children_.Run("national-verify", {"verify-bundle", bundle.string(),
                                                     "--federation", federation.string()}));
  Expect(verified.code == 0,
         fmt::format("it verifies offline with the ledger.pub files only "
                     "(verify-bundle --federation, {:.1f} s)",
                     std::chrono::duration<double>(Clock::now() - verify_started).count()));
  if (verified.code != 0) Detail(verified.said());
  return Status::OK();
}

// One new record in `l`, through its server: the admin enrols an auditor key.
Status Federated::EnrolAuditor(Ledger& l, const std::string& key_name) {
  const fs::path key = l.home / "keys" / (key_name + ".pem");
  ASSIGN_OR_RETURN(Finished made, Succeed("key-" + key_name, {"key", "new", key_name, "--out",
                                                              key.string(), "--json"}));
  json k = json::parse(made.out, nullptr, false);
  if (!k.is_object() || !k.contains("publicKey")) {
    return Status::Internal("key new printed no publicKey: " + LastLine(made.out));
  }
  const json event = {{"id", "demo-federated/" + key_name},
                      {"type", "key.enrolled"},
                      {"at", at_},
                      {"data",
                       {{"name", key_name},
                        {"publicKey", k["publicKey"]},
                        {"roles", json::array({"auditor"})},
                        {"regions", json::array()}}}};
  const fs::path events = l.home / (key_name + ".jsonl");
  {
    std::ofstream out(events, std::ios::binary | std::ios::trunc);
    out << event.dump() << "\n";
    if (!out) return Status::IoError("cannot write " + events.string());
  }
  const fs::path admin = l.home / "keys" / "admin.pem";
  RETURN_IF_ERROR(Succeed("import-" + key_name, {"import", events.string(), "--key", admin.string(),
                                                 "--server", "unix:" + l.socket.string()})
                      .status());
  return Status::OK();
}

// The region's ledger grows (an auditor enrolled through its server) and the witness
// cosigns it; then the operator restores the copy taken before, and pushes it.
Status Federated::Rollback() {
  const auto started = Clock::now();
  Ledger& l = *rolled_;
  const uint64_t cosigned = NoteSize(Cosigned(l));
  RETURN_IF_ERROR(EnrolAuditor(l, "auditor-" + l.name));
  RETURN_IF_ERROR(WaitForNote(l.serve, Cosigned(l), cosigned + 1));
  children_.Stop(l.serve);
  std::error_code ec;
  const fs::path current = l.home / "ledger.before-rollback";
  fs::rename(l.ledger(), current, ec);
  if (!ec) fs::copy(dir_ / "backups" / l.name, l.ledger(), fs::copy_options::recursive, ec);
  if (ec) return Status::IoError("cannot restore the copy of " + l.name + ": " + ec.message());
  RETURN_IF_ERROR(StartServer(l, false, "serve-" + l.name + "-restored"));
  RETURN_IF_ERROR(children_.WaitForLine(l.serve, "listening on ").status());
  // The restored serve pushes its checkpoint at start: the witness answers 409 with the
  // size it holds, which the server logs.
  Result<std::string> logged = children_.WaitForText(l.serve, l.serve.err, "status=409", true);
  // The operator pushing it by hand gets the same answer.
  ASSIGN_OR_RETURN(Finished pushed,
                   children_.Run("push-rolled-back-" + l.name,
                                 {"witness", "add-checkpoint", "--ledger", l.ledger().string(),
                                  "--url", witness_url_, "--witness", witness_key_}));
  Phase("rollback", started,
        fmt::format("{}: an auditor key enrolled through its serve, its checkpoint {} cosigned; "
                    "then its ledger restored from the copy taken before ({} records) and served "
                    "again (pid {})",
                    l.name, cosigned + 1, cosigned, l.serve.pid));
  Expect(logged.ok() && logged->find("more than the ledger's") != std::string::npos,
         "the witness refuses the restored serve's push (its log): " +
             (logged.ok() ? logged->substr(std::min(logged->find("witness push"), logged->size()))
                          : StatusText(logged.status())));
  const std::string said = pushed.said();
  Expect(pushed.code == 1 && said.find("ROLLBACK") != std::string::npos,
         "witness add-checkpoint of the rolled-back ledger: " + said);
  return Status::OK();
}

// The mirrored region grows; its tiles, exported, are copied with one byte altered; the
// mirror reading that copy stops and keeps its copy as it was; from the true tiles it
// catches up.
Status Federated::TamperedTile() {
  const auto started = Clock::now();
  Ledger& l = *mirrored_;
  const fs::path tiles = Tiles(l);
  const uint64_t size = NoteSize(tiles / "checkpoint");
  RETURN_IF_ERROR(EnrolAuditor(l, "auditor-" + l.name));
  RETURN_IF_ERROR(WaitForNote(l.serve, tiles / "checkpoint", size + 1));
  const fs::path tampered = dir_ / "tiles" / (l.name + "-tampered");
  std::error_code ec;
  fs::copy(tiles, tampered, fs::copy_options::recursive, ec);
  if (ec) return Status::IoError("cannot copy " + tiles.string() + ": " + ec.message());
  // The entry bundle holding the new record (c2sp.org/tlog-tiles paths): its last byte
  // altered.
  const uint64_t last = size;  // the new record's index
  std::string index = fmt::format("{:03d}", (last / 256) % 1000);
  for (uint64_t n = last / 256 / 1000; n > 0; n /= 1000) {
    index = fmt::format("x{:03d}/", n % 1000) + index;
  }
  const uint64_t width = last % 256 + 1;
  const std::string bundle =
      "tile/entries/" + index + (width < 256 ? fmt::format(".p/{}", width) : "");
  {
    std::fstream f(tampered / bundle, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(-1, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(c ^ 0x01));
    if (!f) return Status::IoError("cannot alter " + (tampered / bundle).string());
  }
  ASSIGN_OR_RETURN(std::string before, MirrorCheckpoint());
  const fs::path copy = dir_ / "mirrors" / l.name;
  ASSIGN_OR_RETURN(Finished refused, children_.Run("mirror-tampered-" + l.name,
                                                   {"mirror", "--from", tampered.string(), "--dir",
                                                    copy.string(), "--trust", l.pub().string()}));
  ASSIGN_OR_RETURN(std::string after, MirrorCheckpoint());
  Phase("tamper", started,
        fmt::format("{}: an auditor key enrolled through its serve, which keeps its tiles in {} "
                    "(serve --export-tiles); a copy with one byte of {} altered",
                    l.name, tiles.string(), bundle));
  const std::string said = refused.said();
  Expect(refused.code == 1 && (said.find("CORRUPTION") != std::string::npos ||
                               said.find("CONSISTENCY_FAILED") != std::string::npos),
         "the mirror stops on the tampered copy: " + said);
  Expect(!before.empty() && before == after,
         "the mirror's copy is as it was (its checkpoint unchanged)");
  ASSIGN_OR_RETURN(Finished caught_up, children_.Run("mirror-true-" + l.name,
                                                     {"mirror", "--from", l.http, "--dir",
                                                      copy.string(), "--trust", l.pub().string()}));
  Expect(caught_up.code == 0,
         "from the true tiles (its serve's) it catches up: " + LastLine(caught_up.out));
  return Status::OK();
}

Status Federated::Run() {
  RETURN_IF_ERROR(Plan());
  RETURN_IF_ERROR(Build());
  RETURN_IF_ERROR(StartWitness());
  RETURN_IF_ERROR(StartServers());
  RETURN_IF_ERROR(Cosign());
  RETURN_IF_ERROR(Mirror());
  RETURN_IF_ERROR(NationalReport());
  RETURN_IF_ERROR(Rollback());
  RETURN_IF_ERROR(TamperedTile());
  const auto started = Clock::now();
  const size_t count = children_.started();
  children_.StopAll();
  Phase("stop", started,
        fmt::format("every serve and the witness stopped ({} processes started in all)", count));
  return Status::OK();
}

}  // namespace

int CmdDemoFederated(const Globals& g, const DemoArgs& args) {
  const auto started = Clock::now();
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return ReportError(
        Status::IoError("cannot find this program (/proc/self/exe): " + ec.message()), g);
  fs::path dir = args.dir;
  if (dir.empty()) {
    std::string pattern = (fs::temp_directory_path(ec) / "esms-demo-federated-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return ReportError(
          Status::IoError(fmt::format("cannot create a directory: {}", std::strerror(errno))), g);
    }
    dir = pattern;
  }
  dir = fs::absolute(dir, ec);
  if (Status s = PrepareDemoDir(dir); !s.ok()) return ReportError(s, g);
  std::FILE* console = g.json ? g.err : g.out;
  fmt::print(console,
             "esms-ledger demo, federated: one ledger per ARS and a national one, each served by a "
             "process of its own, one witness, one mirror; seed {}\nDirectory: {}\n",
             args.seed, dir.string());
  std::fflush(console);
  InterruptGuard guard;
  Status s;
  bool expected = false;
  json phases, outcomes;
  {
    Federated run(g, args, dir, program);
    s = run.Run();
    expected = run.all_expected();
    phases = run.phases();
    outcomes = run.outcomes();
  }  // every child stopped and reaped here, whatever happened
  const double total = std::chrono::duration<double>(Clock::now() - started).count();
  if (!s.ok()) {
    if (g_interrupted != 0) {
      fmt::print(g.err, "error: interrupted: every child process stopped ({:.1f} s)\n", total);
      return 130;
    }
    // A step that failed (a child's error, named with its log): an expected outcome that
    // did not happen.
    const int code = ReportError(s, g);
    return s.code() == StatusCode::kInternal ? kExitVerificationFailed : code;
  }
  struct rusage children {};
  ::getrusage(RUSAGE_CHILDREN, &children);
  const double cpu =
      static_cast<double>(children.ru_utime.tv_sec + children.ru_stime.tv_sec) +
      static_cast<double>(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
  fmt::print(
      console, "Total: {:.1f} s ({:.1f} s of CPU in the child processes). {}\n", total, cpu,
      expected ? "Every expected outcome happened." : "Some expected outcome did NOT happen.");
  if (g.json) {
    fmt::print(g.out, "{}\n",
               json{{"dir", dir.string()},
                    {"ok", expected},
                    {"seconds", total},
                    {"childCpuSeconds", cpu},
                    {"phases", phases},
                    {"outcomes", outcomes}}
                   .dump());
  }
  return expected ? kExitOk : kExitVerificationFailed;
}

}  // namespace esms::cli
