// Backup and restore of a ledger directory (ledger/ledger.h, docs/operations.md).
//
// Why RocksDB's Checkpoint rather than its BackupEngine: a checkpoint is an openable
// database directory, so a backup is a ledger that `verify --ledger BACKUP` checks as it
// is, with no restore step and no private format; it is a consistent point in time of
// every column family (the ledger flushes them atomically, and each commit is one
// WriteBatch); and its table files are hard links when the backup is on the same file
// system (table files are immutable), copies otherwise. BackupEngine's strengths,
// incremental multi-version backups with its own checksums, are not what one `backup
// --to DIR` needs, and the ledger's own `verify` is a stronger check of a copy than file
// checksums.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rocksdb/utilities/checkpoint.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "ledger/internal/storage.h"
#include "ledger/ledger.h"
#include "ledger/note.h"

namespace esms::ledger {

namespace fs = std::filesystem;

namespace {

using internal::Storage;

std::string Errno(int error) { return std::strerror(error); }

// `path` made absolute, without a trailing separator (its filename() is its last name).
fs::path Normalized(const fs::path& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec).lexically_normal();
  if (ec) p = path.lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// OK when `to` can receive a new directory: absent, or an empty directory.
Status CheckTarget(const fs::path& to, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(to, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError(fmt::format("cannot inspect {}: {}", to.string(), ec.message()));
  }
  if (!fs::exists(st)) return Status::OK();
  if (fs::is_directory(st) && fs::is_empty(to, ec) && !ec) return Status::OK();
  const bool ledger = fs::exists(to / "CURRENT", ec);
  return Status::InvalidArgument(
      "USAGE", fmt::format("{} {}: {} needs an absent or empty directory", to.string(),
                           ledger ? "is a ledger already, never overwritten"
                                  : "exists and is not an empty directory",
                           what));
}

// A hidden sibling of `to` for the copy in progress: renamed to `to` once complete.
fs::path TempSibling(const fs::path& to, std::string_view what) {
  return to.parent_path() /
         fmt::format(".{}.{}-partial-{}", to.filename().string(), what, ::getpid());
}

Status SyncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    return Status::IoError(fmt::format("cannot open {}: {}", path.string(), Errno(errno)));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0)
    return Status::IoError(fmt::format("cannot sync {}: {}", path.string(), Errno(error)));
  return Status::OK();
}

// Syncs every regular file of `dir`, then `dir`; counts them and their bytes.
Status SyncDirectory(const fs::path& dir, uint64_t* files, uint64_t* bytes) {
  std::error_code ec;
  *files = 0;
  *bytes = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    RETURN_IF_ERROR(SyncPath(entry.path(), /*directory=*/false));
    ++*files;
    *bytes += entry.file_size(ec);
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  return SyncPath(dir, /*directory=*/true);
}

// Writes `text` to a new file (mode `mode`), synced.
Status WriteNewFile(const fs::path& path, std::string_view text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Status::IoError(fmt::format("cannot create {}: {}", path.string(), Errno(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      return Status::IoError(fmt::format("cannot write {}: {}", path.string(), Errno(error)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::IoError(fmt::format("cannot sync {}: {}", path.string(), Errno(error)));
  }
  if (::close(fd) != 0) {
    return Status::IoError(fmt::format("cannot close {}: {}", path.string(), Errno(errno)));
  }
  return Status::OK();
}

// Copies `from` to the new file `to` with `from`'s permission bits (a key stays 0600).
Status CopyFile(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return Status::IoError(
        fmt::format("cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
  }
  return Status::OK();
}

// Renames the complete copy `temp` to `to` (an empty directory there is replaced), and
// syncs the parent so the rename survives a crash.
Status Publish(const fs::path& temp, const fs::path& to) {
  std::error_code ec;
  if (fs::is_directory(to, ec) && ::rmdir(to.c_str()) != 0) {
    return Status::IoError(
        fmt::format("cannot replace the empty directory {}: {}", to.string(), Errno(errno)));
  }
  if (::rename(temp.c_str(), to.c_str()) != 0) {
    return Status::IoError(
        fmt::format("cannot rename {} to {}: {}", temp.string(), to.string(), Errno(errno)));
  }
  return SyncPath(to.parent_path(), /*directory=*/true);
}

// Removes `temp` unless disarmed: nothing half written stays behind.
class TempDirectory {
 public:
  explicit TempDirectory(fs::path path) : path_(std::move(path)) {}
  ~TempDirectory() {
    if (armed_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const fs::path& path() const { return path_; }
  void Disarm() { armed_ = false; }

 private:
  fs::path path_;
  bool armed_ = true;
};

// The size, root and latest checkpoint of the ledger in `dir`, opened read-only; the
// checkpoint must be of the ledger's tree (its root at the checkpoint's size).
Status CheckCopy(const fs::path& dir, uint64_t* size, Hash* root, std::string* checkpoint,
                 std::string* verifier_line) {
  ASSIGN_OR_RETURN(std::unique_ptr<Ledger> copy, Ledger::Open(dir, Ledger::Mode::kReadOnly));
  *size = copy->size();
  ASSIGN_OR_RETURN(*root, copy->RootAt(copy->size()));
  ASSIGN_OR_RETURN(std::optional<std::string> latest, copy->LatestCheckpoint());
  checkpoint->clear();
  if (latest) {
    ASSIGN_OR_RETURN(Note note, ParseNote(*latest));
    ASSIGN_OR_RETURN(Checkpoint parsed, ParseCheckpoint(note.text));
    ASSIGN_OR_RETURN(Hash at, copy->RootAt(parsed.size));
    if (parsed.size > copy->size() || at != parsed.root) {
      return Status::DataLoss(
          fmt::format("the copy in {}: its checkpoint of size {} is not its tree's", dir.string(),
                      parsed.size));
    }
    *checkpoint = std::move(*latest);
  }
  *verifier_line = copy->verifier_key();
  return Status::OK();
}

}  // namespace

Result<BackupInfo> Ledger::Backup(const fs::path& to_arg, const BackupOptions& options) const {
  if (mode_ == Mode::kReadOnly) {
    return Status::InvalidArgument(
        "USAGE", fmt::format("ledger {} is open read-only: another process may be writing it; "
                             "back it up from the process that holds it (or with none)",
                             dir_.string()));
  }
  const fs::path to = Normalized(to_arg);
  RETURN_IF_ERROR(CheckTarget(to, "a backup"));
  const fs::path key_file = dir_ / kLedgerKeyFile;
  std::error_code ec;
  const bool key_file_there = fs::exists(key_file, ec);
  if (options.include_key && !key_file_there && ledger_signer_ == nullptr) {
    return Status::InvalidArgument(
        "USAGE", fmt::format("--include-key: the ledger key is not in {} (it was given "
                             "elsewhere): copy it yourself",
                             dir_.string()));
  }

  TempDirectory temp(TempSibling(to, "backup"));
  fs::remove_all(temp.path(), ec);  // a leftover of an earlier run of this pid
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(db_->Error(rocksdb::Checkpoint::Create(db_->db(), &raw), "backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  RETURN_IF_ERROR(db_->Error(checkpoint->CreateCheckpoint(temp.path().string()),
                             fmt::format("backup to {}", temp.path().string())));

  // ledger.pub from the database's own meta (what Create wrote), not from the file.
  RETURN_IF_ERROR(WriteNewFile(temp.path() / kLedgerPubFile, verifier_key() + "\n", 0644));
  BackupInfo info;
  if (options.include_key) {
    if (key_file_there) {
      RETURN_IF_ERROR(CopyFile(key_file, temp.path() / kLedgerKeyFile));
    } else {
      RETURN_IF_ERROR(ledger_signer_->WritePem(temp.path() / kLedgerKeyFile));
    }
    info.includes_key = true;
  }
  RETURN_IF_ERROR(SyncDirectory(temp.path(), &info.files, &info.bytes));

  std::string verifier_line;
  RETURN_IF_ERROR(CheckCopy(temp.path(), &info.size, &info.root, &info.checkpoint, &verifier_line));
  // The check's read-only open leaves an info LOG behind: not part of the backup.
  fs::remove(temp.path() / "LOG", ec);
  RETURN_IF_ERROR(SyncDirectory(temp.path(), &info.files, &info.bytes));
  RETURN_IF_ERROR(Publish(temp.path(), to));
  temp.Disarm();
  return info;
}

Result<BackupInfo> Ledger::BackupDirectory(const fs::path& dir, const fs::path& to,
                                           const BackupOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(dir, /*create=*/false, /*read_only=*/false));
  // Opened for writing to hold the lock, without the ledger key: nothing is appended.
  auto ledger = std::unique_ptr<Ledger>(new Ledger(dir, Mode::kReadWrite, std::move(storage), {}));
  RETURN_IF_ERROR(ledger->LoadState());
  return ledger->Backup(to, options);
}

Result<RestoreInfo> Ledger::Restore(const fs::path& from_arg, const fs::path& to_arg,
                                    std::shared_ptr<const SigningKey> ledger_key) {
  const fs::path from = Normalized(from_arg);
  const fs::path to = Normalized(to_arg);
  RETURN_IF_ERROR(CheckTarget(to, "a restore"));
  std::error_code ec;
  if (!fs::is_directory(from, ec) || !fs::exists(from / "CURRENT", ec)) {
    return Status::NotFound(
        fmt::format("{} is not a ledger backup: no ledger database in it", from.string()));
  }
  if (from == to) return Status::InvalidArgument("USAGE", "restore: --from is the target ledger");

  TempDirectory temp(TempSibling(to, "restore"));
  fs::remove_all(temp.path(), ec);
  if (!fs::create_directory(temp.path(), ec)) {
    return Status::IoError(fmt::format("cannot create {}: {}", temp.path().string(), ec.message()));
  }
  // Every file of the backup but RocksDB's lock and info logs; copies, never links.
  bool key_in_backup = false;
  for (const fs::directory_entry& entry : fs::directory_iterator(from, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
    if (name == kLedgerKeyFile) key_in_backup = true;
    RETURN_IF_ERROR(CopyFile(entry.path(), temp.path() / name));
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", from.string(), ec.message()));
  uint64_t files = 0, bytes = 0;
  RETURN_IF_ERROR(SyncDirectory(temp.path(), &files, &bytes));

  RestoreInfo info;
  std::string checkpoint, verifier_line;
  RETURN_IF_ERROR(CheckCopy(temp.path(), &info.size, &info.root, &checkpoint, &verifier_line));
  // ledger.pub is the ledger's verifier key: rewritten from the meta when missing or other.
  const fs::path pub = temp.path() / kLedgerPubFile;
  std::string pub_text;
  if (fs::exists(pub, ec)) {
    std::FILE* f = std::fopen(pub.c_str(), "r");
    if (f != nullptr) {
      char buffer[512];
      const size_t n = std::fread(buffer, 1, sizeof buffer, f);
      std::fclose(f);
      pub_text.assign(buffer, n);
    }
  }
  if (pub_text != verifier_line + "\n") {
    fs::remove(pub, ec);
    RETURN_IF_ERROR(WriteNewFile(pub, verifier_line + "\n", 0644));
  }
  info.origin = verifier_line.substr(0, verifier_line.find('+'));
  info.key_in_directory = key_in_backup;
  if (key_in_backup || ledger_key != nullptr) {
    // Opening for writing checks the key against the ledger's (UNAUTHORIZED otherwise).
    Options options;
    options.ledger_key = ledger_key;
    ASSIGN_OR_RETURN(std::unique_ptr<Ledger> writable,
                     Open(temp.path(), Mode::kReadWrite, std::move(options)));
    info.writable = true;
  }
  fs::remove(temp.path() / "LOG", ec);
  RETURN_IF_ERROR(SyncDirectory(temp.path(), &files, &bytes));
  RETURN_IF_ERROR(Publish(temp.path(), to));
  temp.Disarm();
  return info;
}

}  // namespace esms::ledger
