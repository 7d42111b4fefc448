// mirror (cli/mirror_command.h).
#include "cli/mirror_command.h"

#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/input.h"
#include "cli/output.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "mirror/mirror.h"

namespace esms::cli {
namespace {}  // namespace

int CmdMirror(const Globals& g, const MirrorArgs& a) {
  auto trust = ledger::LoadVerifierKey(a.trust, ledger::kSignatureTypeEd25519, "--trust");
  if (!trust.ok()) return ReportError(trust.status(), g);
  auto source = mirror::OpenTileSource(a.from);
  if (!source.ok()) return ReportError(source.status(), g);
  const auto start = std::chrono::steady_clock::now();
  Progress progress("mirror", 0, g.err);
  auto mirrored = mirror::Mirror(**source, a.dir, *trust, [&](uint64_t done, uint64_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  });
  progress.Finish();
  if (!mirrored.ok()) return ReportError(mirrored.status(), g);
  const mirror::MirrorReport& r = *mirrored;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (g.json) {
    nlohmann::json out = {{"source", (*source)->Name()},
                          {"dir", a.dir},
                          {"oldSize", r.old_size},
                          {"size", r.size},
                          {"root", ledger::ToHex(r.root)},
                          {"records", r.records},
                          {"tiles", r.tiles},
                          {"seconds", seconds}};
    std::string text = out.dump();
    std::fwrite(text.data(), 1, text.size(), g.out);
    std::fputc('\n', g.out);
  } else if (r.records == 0) {
    fmt::print(g.out, "{} is up to date: checkpoint {} of {} (root {})\n", a.dir, r.size,
               trust->name, ledger::ToHex(r.root));
  } else {
    fmt::print(g.out,
               "mirrored {} new records of {} from {} into {}: size {} -> {}, root {} (checkpoint "
               "signed by the ledger key, every record and signature checked; {} tiles fetched)\n",
               r.records, trust->name, (*source)->Name(), a.dir, r.old_size, r.size,
               ledger::ToHex(r.root), r.tiles);
  }
  std::fflush(g.out);
  return kExitOk;
}

}  // namespace esms::cli
