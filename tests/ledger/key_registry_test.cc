#include "ledger/key_registry.h"

#include <gtest/gtest.h>

#include <string>

#include "ledger/keys.h"
#include "ledger/record.h"

namespace esms::ledger {
namespace {

// Records as the registry sees them (signatures are the caller's business).
class KeyRegistryTest : public ::testing::Test {
 protected:
  Record Enrol(uint64_t seq, std::string_view signer, std::string_view name, const PublicKey& key,
               std::vector<std::string> roles, std::vector<std::string> regions = {}) {
    Record r;
    r.seq = seq;
    r.type = std::string(kKeyEnrolledType);
    r.signer = std::string(signer);
    r.payload = EncodeKeyEnrolled(name, key, roles, regions);
    return r;
  }
  Record Revoke(uint64_t seq, std::string_view signer, std::string_view name) {
    Record r;
    r.seq = seq;
    r.type = std::string(kKeyRevokedType);
    r.signer = std::string(signer);
    r.payload = EncodeKeyRevoked(name, "rotation");
    return r;
  }
  Record Event(uint64_t seq, std::string_view signer) {
    Record r;
    r.seq = seq;
    r.type = "project.submitted";
    r.signer = std::string(signer);
    return r;
  }
  static PublicKey Key(uint8_t fill) {
    PublicKey k;
    k.fill(fill);
    return k;
  }
  // A registry with "admin" (seq 0) and "ars" (seq 1, ars-instructor in 53).
  KeyRegistry Bootstrapped() {
    KeyRegistry registry;
    EXPECT_TRUE(registry.Apply(Enrol(0, "admin", "admin", Key(1), {"admin"})).ok());
    EXPECT_TRUE(registry.Apply(Enrol(1, "admin", "ars", Key(2), {"ars-instructor"}, {"53"})).ok());
    return registry;
  }
};

TEST_F(KeyRegistryTest, GenesisEnrolsItsOwnSignerAsAdmin) {
  KeyRegistry registry;
  ASSERT_TRUE(registry.Apply(Enrol(0, "root", "root", Key(1), {"admin"})).ok());
  const KeyInfo* root = registry.Find("root");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->enrolled_seq, 0u);
  EXPECT_TRUE(root->active());
  EXPECT_TRUE(root->HasRole("admin"));
  EXPECT_EQ(registry.FindActive(Key(1)), root);
}

TEST_F(KeyRegistryTest, GenesisMustBeAnAdminSelfEnrolment) {
  KeyRegistry registry;
  EXPECT_TRUE(registry.Check(Event(0, "root")).code() == StatusCode::kPermissionDenied);
  EXPECT_TRUE(registry.Check(Enrol(0, "root", "root", Key(1), {"porteur"})).code() ==
              StatusCode::kPermissionDenied);
  EXPECT_TRUE(registry.Check(Enrol(0, "root", "other", Key(1), {"admin"})).code() ==
              StatusCode::kPermissionDenied);
  EXPECT_TRUE(registry.empty());
}

TEST_F(KeyRegistryTest, LookupsByNameAndByKey) {
  KeyRegistry registry = Bootstrapped();
  const KeyInfo* ars = registry.Find("ars");
  ASSERT_NE(ars, nullptr);
  EXPECT_EQ(ars->key, Key(2));
  EXPECT_EQ(ars->enrolled_seq, 1u);
  EXPECT_TRUE(ars->HasRegion("53"));
  EXPECT_FALSE(ars->HasRegion("11"));
  EXPECT_EQ(registry.FindActive(Key(2)), ars);
  EXPECT_EQ(registry.FindActive(Key(9)), nullptr);
  EXPECT_EQ(registry.Find("nobody"), nullptr);
  Result<const KeyInfo*> signer = registry.Signer("ars");
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer, ars);
  EXPECT_EQ(registry.keys().size(), 2u);
}

TEST_F(KeyRegistryTest, OnlyAnAdminMayEnrolOrRevoke) {
  KeyRegistry registry = Bootstrapped();
  Status s = registry.Apply(Enrol(2, "ars", "porteur", Key(3), {"porteur"}));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "key 'ars' lacks role \"admin\" needed for key.enrolled");
  EXPECT_TRUE(registry.Apply(Revoke(2, "ars", "admin")).code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(registry.Find("porteur"), nullptr);
}

TEST_F(KeyRegistryTest, UnknownSignerIsUnauthorized) {
  KeyRegistry registry = Bootstrapped();
  Status s = registry.Check(Event(2, "ghost"));
  EXPECT_TRUE(s.code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "key 'ghost' is not enrolled");
  EXPECT_TRUE(registry.Check(Event(2, "ars")).ok());
}

TEST_F(KeyRegistryTest, EnrollingAnExistingNameIsAKeyConflict) {
  KeyRegistry registry = Bootstrapped();
  Status s = registry.Apply(Enrol(2, "admin", "ars", Key(3), {"porteur"}));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(s.Is(kKeyConflict));
  EXPECT_EQ(s.conflicts(), (std::vector<uint64_t>{1}));
  // Even once revoked, a name is never reused.
  ASSERT_TRUE(registry.Apply(Revoke(2, "admin", "ars")).ok());
  EXPECT_TRUE(registry.Apply(Enrol(3, "admin", "ars", Key(3), {"porteur"})).Is(kKeyConflict));
}

TEST_F(KeyRegistryTest, EnrollingAnActiveKeyUnderAnotherNameIsAKeyConflict) {
  KeyRegistry registry = Bootstrapped();
  Status s = registry.Apply(Enrol(2, "admin", "ars-bis", Key(2), {"porteur"}));
  EXPECT_TRUE(s.Is(kKeyConflict));
  EXPECT_EQ(s.conflicts(), (std::vector<uint64_t>{1}));
  // Once the first name is revoked, the key may be enrolled again under a new name.
  ASSERT_TRUE(registry.Apply(Revoke(2, "admin", "ars")).ok());
  ASSERT_TRUE(registry.Apply(Enrol(3, "admin", "ars-bis", Key(2), {"porteur"})).ok());
  EXPECT_EQ(registry.FindActive(Key(2))->name, "ars-bis");
}

TEST_F(KeyRegistryTest, RevocationTakesEffectFromItsRecord) {
  KeyRegistry registry = Bootstrapped();
  ASSERT_TRUE(registry.Apply(Event(2, "ars")).ok());
  ASSERT_TRUE(registry.Apply(Revoke(3, "admin", "ars")).ok());
  const KeyInfo* ars = registry.Find("ars");
  ASSERT_NE(ars, nullptr);
  EXPECT_EQ(ars->revoked_seq, std::optional<uint64_t>(3));
  EXPECT_EQ(registry.FindActive(Key(2)), nullptr);
  Status s = registry.Check(Event(4, "ars"));
  EXPECT_TRUE(s.code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "key 'ars' was revoked at seq 3");
  EXPECT_EQ(s.conflicts(), (std::vector<uint64_t>{3}));
}

TEST_F(KeyRegistryTest, RevokingUnknownOrRevokedKeyIsUnknownKey) {
  KeyRegistry registry = Bootstrapped();
  Status unknown = registry.Apply(Revoke(2, "admin", "ghost"));
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_TRUE(unknown.Is(kUnknownKey));
  ASSERT_TRUE(registry.Apply(Revoke(2, "admin", "ars")).ok());
  Status twice = registry.Apply(Revoke(3, "admin", "ars"));
  EXPECT_TRUE(twice.Is(kUnknownKey));
  EXPECT_EQ(twice.conflicts(), (std::vector<uint64_t>{2}));
}

TEST_F(KeyRegistryTest, RefusedApplyChangesNothing) {
  KeyRegistry registry = Bootstrapped();
  KeyRegistry before = registry;
  EXPECT_FALSE(registry.Apply(Enrol(2, "admin", "bad name", Key(5), {"porteur"})).ok());
  EXPECT_FALSE(registry.Apply(Enrol(2, "admin", "x", Key(5), {""})).ok());
  EXPECT_EQ(registry.keys().size(), before.keys().size());
  EXPECT_EQ(registry.FindActive(Key(5)), nullptr);
}

TEST_F(KeyRegistryTest, BadKeyNamesAndPayloadsAreBadInput) {
  KeyRegistry registry = Bootstrapped();
  EXPECT_TRUE(registry.Check(Enrol(2, "admin", "", Key(5), {})).code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.Check(Enrol(2, "admin", "a+b", Key(5), {})).code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.Check(Enrol(2, "admin", std::string(65, 'a'), Key(5), {})).code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.Check(Enrol(2, "admin", std::string(64, 'a'), Key(5), {})).ok());
  Record garbage = Revoke(2, "admin", "ars");
  garbage.payload = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_TRUE(registry.Check(garbage).code() == StatusCode::kInvalidArgument);
}

TEST(KeyNamesTest, Charset) {
  EXPECT_TRUE(IsValidKeyName("ars-bzh.instructor_1@53"));
  EXPECT_FALSE(IsValidKeyName("ars bzh"));
  EXPECT_FALSE(IsValidKeyName("ars/bzh"));
  EXPECT_TRUE(IsKeyRecordType("key.enrolled"));
  EXPECT_TRUE(IsKeyRecordType("key.revoked"));
  EXPECT_FALSE(IsKeyRecordType("key.rotated"));
}

}  // namespace
}  // namespace esms::ledger
