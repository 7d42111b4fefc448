# The ledger's record envelope and the ledger-owned key records (docs/format.md).
#
# A record is stored as the canonical encoding (capnp::canonicalize: one segment, no
# segment table) of an Envelope. Field numbers and types are part of the format: never
# renumber, retype or reuse them; a later format version may only add fields.
@0xad4027fd910de67c;

$import "/capnp/c++.capnp".namespace("esms::ledger::schema");

struct Envelope {
  seq @0 :UInt64;             # 0 = genesis; each record is the previous seq + 1
  prevHash @1 :Data;          # 32 bytes: the previous record's hash; zeros for genesis
  recordedAt @2 :Int64;       # UTC microseconds since the Unix epoch, ledger clock
  eventId @3 :Text;           # idempotency key, 1-128 chars of [A-Za-z0-9._:/-]
  stream @4 :Text;            # the stream the event belongs to ("programme", "project/X")
  streamVersion @5 :UInt64;   # number of earlier records of the stream
  type @6 :Text;              # event type ("key.enrolled", "project.submitted", ...)
  payload @7 :Data;           # the typed event's canonical Cap'n Proto bytes (opaque here)
  signer @8 :Text;            # name of the enrolled key that signed
  signature @9 :Data;         # 64-byte Ed25519 signature of the envelope without it
  at @10 :Text;               # the event's business date, YYYY-MM-DD
}

# Payload of a "key.enrolled" record: who may sign from this record on.
struct KeyEnrolled {
  name @0 :Text;
  publicKey @1 :Data;         # raw 32-byte Ed25519 public key
  roles @2 :List(Text);
  regions @3 :List(Text);
}

# Payload of a "key.revoked" record: the key named may not sign from this record on.
struct KeyRevoked {
  name @0 :Text;
  reason @1 :Text;
}
