// The witness pusher and the tiles follower of `serve`. See cli/serve_followers.h.
#include "cli/serve_followers.h"

#include <utility>

#include <fmt/format.h>

#include "service/metrics.h"
#include "witness/cosigned.h"

namespace esms::cli {

Result<ServeFollowers> CreateFollowers(const Globals& g, const ServeArgs& args,
                                       service::Metrics& metrics, spdlog::logger* log) {
  ServeFollowers followers;
  if (args.witnesses.empty() && args.witness_quorum != 0) {
    return Status::InvalidArgument(error_code::kUsage, "--witness-quorum: give --witness URL,KEY");
  }
  if (!args.witnesses.empty()) {
    service::WitnessPusherOptions options;
    for (const std::string& spec : args.witnesses) {
      Result<witness::WitnessSpec> parsed = witness::ParseWitnessSpec(spec);
      if (!parsed.ok()) return parsed.status();
      options.witnesses.push_back(*std::move(parsed));
    }
    options.quorum = args.witness_quorum == 0 ? options.witnesses.size() : args.witness_quorum;
    options.ledger_dir = g.ledger_dir;
    options.log = log;
    options.metrics = &metrics;
    ASSIGN_OR_RETURN(followers.pusher, service::WitnessPusher::Create(std::move(options)));
  }
  if (!args.export_tiles.empty()) {
    followers.tiles =
        std::make_unique<service::TilesFollower>(g.ledger_dir, args.export_tiles, log);
  }
  return followers;
}

void WireFollowers(ServeFollowers& followers, service::WriterObserver& observer) {
  if (followers.pusher == nullptr && followers.tiles == nullptr) return;
  observer.on_size = [previous = std::move(observer.on_size), pusher = followers.pusher.get(),
                      tiles = followers.tiles.get()](uint64_t size) {
    if (previous) previous(size);
    if (pusher != nullptr) pusher->Notify(size);
    if (tiles != nullptr) tiles->Notify(size);
  };
}

void StartFollowers(ServeFollowers& followers, service::Writer& writer, uint64_t size) {
  if (followers.pusher != nullptr) followers.pusher->Start(writer, size);
  if (followers.tiles != nullptr) followers.tiles->Start();
}

void StopFollowers(ServeFollowers& followers) {
  if (followers.pusher != nullptr) followers.pusher->Stop();
  if (followers.tiles != nullptr) followers.tiles->Stop();
}

std::function<std::string()> HealthDetail(const ServeFollowers& followers) {
  if (followers.pusher == nullptr) return {};
  return [pusher = followers.pusher.get()]() { return pusher->HealthLine(); };
}

}  // namespace esms::cli
