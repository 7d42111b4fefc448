// A federation's `server` entry: its share fetched from the ledger's serve process
// (cli/federation.h FetchServerShare).
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cli/federation.h"
#include "ledger/note.h"
#include "projections/federation_share.h"
#include "service/client.h"
#include "service/writer.h"

namespace esms::cli {

using projections::LedgerShare;

Result<LedgerShare> FetchServerShare(const ServerShareQuery& q, std::string* bundle) {
  service::ClientOptions options;
  options.server = q.server;
  if (q.tls_ca.has_value()) options.tls_ca = *q.tls_ca;
  options.key = q.key;
  options.key_name = q.key_name;
  Result<std::unique_ptr<service::Client>> client = service::Client::Connect(options);
  if (!client.ok()) {
    if (client.status().code() == StatusCode::kPermissionDenied && options.key != nullptr) {
      return std::move(client).TakeStatus().WithContext(
          fmt::format("logging in with --key {} (key '{}')", q.key_name, q.key_name));
    }
    return client.status();
  }
  ASSIGN_OR_RETURN(service::LedgerInfo info, (*client)->Info(std::nullopt));
  if (info.verifier_key != q.ledger_key) {
    return Status::PermissionDenied(fmt::format(
        "the server {} signs its checkpoints with {}, not with the key trusted by {} ({})",
        q.server, info.verifier_key, q.trust_file, q.ledger_key));
  }
  service::ReadRequest request;
  request.command = service::ReadRequest::Command::kShare;
  request.at = q.at.ToString();
  request.by = q.by == projections::ReportBy::kNone ? "" : std::string(projections::ToString(q.by));
  request.bundle = bundle != nullptr;
  ASSIGN_OR_RETURN(service::ReadOutput output, (*client)->Read(request));
  if (!output.error.ok()) {
    if (output.error.code() == StatusCode::kPermissionDenied && options.key == nullptr) {
      return std::move(output.error)
          .WithContext(
              "the federation logged in anonymously, and a share is read by the national, "
              "auditor and ARS roles: give --key, a national key enrolled in each ledger");
    }
    return std::move(output.error);
  }
  Result<LedgerShare> received = projections::ShareFromJson(output.text);
  if (!received.ok()) {
    return std::move(received).TakeStatus().WithContext("the share the server sent");
  }
  LedgerShare share = std::move(*received);
  Result<std::string> text = ledger::OpenNote(share.checkpoint_note, std::span(q.trust, 1));
  if (!text.ok()) return std::move(text).TakeStatus().WithContext("the checkpoint of its share");
  ASSIGN_OR_RETURN(ledger::Checkpoint checkpoint, ledger::ParseCheckpoint(*text));
  if (checkpoint.origin != info.origin) {
    return Status::DataLoss(fmt::format("its share's checkpoint names origin {}, the server is {}",
                                        checkpoint.origin, info.origin));
  }
  if (share.report.state_size != checkpoint.size) {
    return Status::DataLoss(
        fmt::format("its share's report reads {} records, the checkpoint it is bound to covers {}",
                    share.report.state_size, checkpoint.size));
  }
  if (share.report.at != q.at || share.report.by_kind != q.by) {
    return Status::DataLoss(
        fmt::format("its share is not the report at {} asked for", q.at.ToString()));
  }
  share.checkpoint = std::move(checkpoint);
  if (bundle != nullptr) *bundle = std::move(output.bundle);
  return share;
}

}  // namespace esms::cli
