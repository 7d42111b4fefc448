# The ledger's records (format 2) and the ledger-owned key records (docs/format.md).
#
# An author signs a Statement (position-independent: it names the ledger's origin, never
# the previous record); the ledger wraps the statement's exact bytes and their signature
# in a Record that adds the position. Both are stored as the canonical encoding
# (capnp::canonicalize: one segment, no segment table). Field numbers and types are part
# of the format: never renumber, retype or reuse them; a later format version may only
# add fields.
@0xad4027fd910de67c;

$import "/capnp/c++.capnp".namespace("esms::ledger::schema");

# What an author signs (Ed25519 over its canonical bytes).
struct Statement {
  origin @0 :Text;              # the ledger's origin (its checkpoint name): no replay elsewhere
  eventId @1 :Text;             # idempotency key, 1-128 chars of [A-Za-z0-9._:/-]
  type @2 :Text;                # event type ("key.enrolled", "project.submitted", ...)
  stream @3 :Text;              # the stream the event belongs to ("programme", "project/X")
  at @4 :Text;                  # the event's business date, YYYY-MM-DD
  expectedVersion @5 :UInt64;   # records the stream must already hold (if hasExpectedVersion)
  hasExpectedVersion @6 :Bool;
  payload @7 :Data;             # the typed event's canonical Cap'n Proto bytes (opaque here)
  signer @8 :Text;              # name of the enrolled key that signs
}

# What the ledger stores: the statement and its signature, in position.
struct Record {
  seq @0 :UInt64;               # 0 = genesis; each record is the previous seq + 1
  prevHash @1 :Data;            # 32 bytes: the previous record's hash; zeros for genesis
  recordedAt @2 :Int64;         # UTC microseconds since the Unix epoch, ledger clock
  streamVersion @3 :UInt64;     # number of earlier records of the stream
  statement @4 :Data;           # the canonical Statement bytes, exactly as signed
  signature @5 :Data;           # 64-byte Ed25519 signature of `statement` by its signer
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
