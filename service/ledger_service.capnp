# The RPC interface of `esms-ledger serve` (INTERFACE.md §6, docs/service.md): Cap'n
# Proto's two-party protocol over a unix socket or TLS. A connection's bootstrap
# capability is a Gate; logging in through it gives the Ledger capability.
#
# The wire format is part of the service's contract: never renumber, retype or reuse a
# field or a method; a later version may only add them.
@0xc8950c7f6bd54291;

$import "/capnp/c++.capnp".namespace("esms::service::schema");

# The gate of a connection: a challenge signed by an enrolled key, or anonymous when the
# server was started with --no-auth.
interface Gate {
  # A fresh random nonce (32 bytes) for this connection, and the ledger's origin (the
  # challenge message names both).
  challenge @0 () -> (nonce :Data, origin :Text);
  # `signature`: Ed25519 of the challenge message (origin, nonce, key name:
  # service/access.h AuthChallengeMessage) by the key enrolled as `keyName`. Else `error`
  # is set (UNAUTHORIZED) and `ledger` is null. One answer per challenge, within 60 s.
  authenticate @1 (keyName :Text, signature :Data) -> (ledger :Ledger, error :Error);
  # A connection without a key: public reads (and appends, which the ledger checks by
  # their signers); every read when the server runs with --no-auth.
  anonymous @2 () -> (ledger :Ledger, error :Error);
}

# One event its author signed (a signed line of `sign`).
struct SignedLine {
  line @0 :UInt64;        # the client's line number, echoed in the results
  event @1 :Text;         # the event object's JSON text
  signer @2 :Text;        # the enrolled key's name
  signature @3 :Data;     # 64 bytes: Ed25519 of the event's statement
}

struct LineResult {
  line @0 :UInt64;
  id @1 :Text;
  seq @2 :UInt64;
  existing @3 :Bool;      # the same event was already recorded at `seq`
}

# A refusal, as a Status: its canonical code (base/status.h StatusCode), the public
# code, message and conflicting seqs.
struct Error {
  canonical @0 :UInt8;
  code @1 :Text;
  message @2 :Text;
  conflicts @3 :List(UInt64);
}

# What a read command printed on the server, and its exit code (INTERFACE.md §5).
struct Output {
  out @0 :Data;
  err @1 :Data;
  exitCode @2 :Int32;
}


interface Ledger {
  # `publicKey` (optional): `signer` is the name it is enrolled under (revoked or not).
  info @0 (publicKey :Data) -> (origin :Text, verifierKey :Text, size :UInt64, signer :Text);

  # Appends the lines in order and answers once they are durable (group commit shared by
  # every client). Stops at the first refused line: `refused` is set with its line, id and
  # error; the lines before it are appended. `refusedLast` > `refusedLine`: a failed write
  # left lines refusedLine..refusedLast unwritten.
  append @1 (lines :List(SignedLine))
      -> (results :List(LineResult), refused :Bool, refusedLine :UInt64,
          refusedLast :UInt64, refusedId :Text, error :Error, size :UInt64);
  # `error` with refused = false: the call failed as a whole (nothing was written).

  # The read commands: the same output and exit code as on a local ledger. A read the
  # server refuses (shutting down, not allowed for this connection) is an output too:
  # the error as the command prints it, and its exit code.
  log @2 (from :UInt64, hasFrom :Bool, to :UInt64, hasTo :Bool, json :Bool) -> (output :Output);
  verify @3 (noSignatures :Bool, json :Bool) -> (output :Output);
  checkpoint @4 (json :Bool) -> (output :Output);
  prove @5 (seq :UInt64, size :UInt64, hasSize :Bool, json :Bool, tlogProof :Bool)
      -> (output :Output);  # tlogProof: the C2SP tlog-proof file (`--format tlog-proof`)
  consistency @6 (old :UInt64, new :UInt64, json :Bool) -> (output :Output);
  state @7 (project :Text, at :Text, hasAt :Bool, json :Bool) -> (output :Output);
  check @8 (project :Text, at :Text, hasAt :Bool, json :Bool) -> (output :Output);
  history @9 (key :Text, json :Bool) -> (output :Output);

  # `report active-dui` (at, by, format as the command takes them; `bundleName`: the
  # --bundle file's name, which the HTML page cites; `bundle`: build the evidence bundle
  # too). The client writes --out and --bundle itself and prints what the local command
  # prints: `text` is the report in its format, `bundle` the evidence bundle's JSON,
  # `json` the JSON report (when `out` (--out given) or `bundle`: the client's messages
  # cite its figures). A refusal or an error: `output` (exitCode != 0), as for the
  # other reads.
  report @10 (at :Text, by :Text, format :Text, json :Bool, bundle :Bool, bundleName :Text,
              hasBundleName :Bool, out :Bool)
      -> (output :Output, text :Data, bundle :Data, json :Data);
  # `bundle PROJECT`: the project's evidence bundle as of `at`, proven against `cosigned`
  # when given (a checkpoint note of this ledger), which the client writes. Errors in
  # `output`.
  bundle @11 (project :Text, at :Text, cosigned :Text, hasCosigned :Bool, json :Bool)
      -> (output :Output, bundle :Data);
  # One ledger's share of the national figure (`report active-dui --federation` with a
  # `server` entry, docs/federation.md): `share` is the JSON of the ledger's report at
  # `at` (grouped by `by`), the signed checkpoint it is bound to (the one of exactly the
  # records the report reads) and the ledger's live project ids; with `bundle`, the
  # active-DUI evidence bundle proven against that checkpoint. A refusal: `error`.
  share @12 (at :Text, by :Text, bundle :Bool)
      -> (share :Data, bundle :Data, error :Error);
}
