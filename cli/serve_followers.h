// What `serve` runs beside the writer, after its commits (cli/serve_command.cc):
//   - --witness URL,KEY / --witness-quorum K: the witness pusher
//     (service/witness_pusher.h), which keeps DIR/cosigned.note;
//   - --export-tiles DIR: the tiles follower (service/tiles_follower.h).
// Both are created before the writer (its observer notifies them), started once it
// runs, and stopped before it.
#ifndef ESMS_CLI_SERVE_FOLLOWERS_H_
#define ESMS_CLI_SERVE_FOLLOWERS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "cli/commands.h"
#include "cli/serve_command.h"
#include "service/tiles_follower.h"
#include "service/witness_pusher.h"
#include "service/writer.h"

namespace spdlog {
class logger;
}

namespace esms::service {
class Metrics;
}

namespace esms::cli {

struct ServeFollowers {
  std::unique_ptr<service::WitnessPusher> pusher;
  std::unique_ptr<service::TilesFollower> tiles;
};

// USAGE: --witness-quorum without --witness, or out of 1..n; BAD_INPUT: a --witness
// that is not URL,KEY.
Result<ServeFollowers> CreateFollowers(const Globals& g, const ServeArgs& args,
                                       service::Metrics& metrics, spdlog::logger* log);
// Adds the followers' notification to the writer's on_size hook.
void WireFollowers(ServeFollowers& followers, service::WriterObserver& observer);
void StartFollowers(ServeFollowers& followers, service::Writer& writer, uint64_t size);
void StopFollowers(ServeFollowers& followers);
// /healthz's extra lines (empty without --witness).
std::function<std::string()> HealthDetail(const ServeFollowers& followers);

}  // namespace esms::cli

#endif  // ESMS_CLI_SERVE_FOLLOWERS_H_
