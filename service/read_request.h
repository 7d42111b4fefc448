// A read command as a client sends it and the server runs it (service/writer.h), and who
// asks. Plain values only, so that the program's argument parsing (cli/app.cc) fills one
// in every build, also one without the service layer (-DESMS_SERVICE=OFF), which links
// nothing of service/.
//
// Thread-safety: plain values.
#ifndef ESMS_SERVICE_READ_REQUEST_H_
#define ESMS_SERVICE_READ_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace esms::service {

// Who a connection is, once logged in through its Gate (service/server.h).
// `checked`: the server checks logins (ServerOptions::authenticate); then an empty
// key_name is an anonymous connection (public reads only). Unchecked (--no-auth): the
// key name, if any, was logged, not checked, and every read is allowed.
struct Peer {
  bool anonymous = true;  // no key checked (anonymous, or --no-auth)
  bool checked = false;   // logins are checked: read scoping applies
  std::string key_name;
  std::vector<std::string> roles, regions;
};

// A read command and its arguments (the ones `esms-ledger COMMAND` takes).
struct ReadRequest {
  enum class Command {
    kLog,
    kVerify,
    kCheckpoint,
    kProve,
    kConsistency,
    kState,
    kCheck,
    kHistory,
    kReport,  // report active-dui
    kBundle,  // bundle PROJECT
    kShare,   // a ledger's share of the national figure (docs/federation.md)
  };
  Command command = Command::kLog;
  bool json = false;
  std::optional<uint64_t> from, to;  // log
  bool no_signatures = false;        // verify
  uint64_t seq = 0;                  // prove
  std::optional<uint64_t> size;      // prove
  bool tlog_proof = false;           // prove --format tlog-proof: the file's text
  uint64_t old_size = 0, new_size = 0;
  std::string key;                // state, check: the project; history: project or FINESS
  std::optional<std::string> at;  // state, check, report, bundle, share
  // report, share: --by ("" none); report: --format, and the --bundle file's name (the
  // HTML page cites it); report, share: build the evidence bundle too.
  std::string by, format;
  std::optional<std::string> bundle_name;
  bool bundle = false;
  bool out = false;  // report --out: the client prints figures of the JSON report
  std::optional<std::string> cosigned;  // bundle --cosigned: the checkpoint note's text
  uint64_t request_id = 0;              // the server's request id, for the logs
  // Who asks: the read handler, which sees the projected state, scopes the read by it
  // (porteur / ARS role scoping, cli/serve_command.cc).
  Peer peer;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_READ_REQUEST_H_
