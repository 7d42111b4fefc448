#include "projections/import_pipeline.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "domain/event_codec.h"
#include "ledger/hash.h"
#include "ledger/record.h"
#include "projections/projector.h"

namespace esms::projections {
namespace {

using nlohmann::json;

// A signed line (INTERFACE.md §6): {"event": {...}, "signer": NAME, "signature": BASE64}.
bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One past the closing quote of the JSON string that opens at text[at], or npos.
size_t StringEnd(std::string_view text, size_t at) {
  for (size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// One past the JSON object or string that opens at text[at], or npos; its content is
// not checked here (the parser that reads it does).
size_t ValueEnd(std::string_view text, size_t at) {
  if (text[at] == '"') return StringEnd(text, at);
  if (text[at] != '{') return std::string_view::npos;
  size_t depth = 0;
  for (size_t i = at; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      const size_t end = StringEnd(text, i);
      if (end == std::string_view::npos) return end;
      i = end - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// The signed line of `line` read in one pass, without a DOM of the line nor a second
// text of its event: the event is the exact text of its object in the line, decoded
// once by domain::ParseEvent. Only for the plain form: three keys without escapes,
// each once, the signer and the signature strings of printable ASCII without escapes,
// a 64-byte signature, an event that decodes; nullopt for anything else, which
// ParseSignedLine then reads the general way (and refuses with its messages). On
// that form both ways give the same event, signer and signature.
std::optional<std::pair<SignedLine, domain::Event>> ReadPlainSignedLine(std::string_view line) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < line.size() && IsJsonSpace(line[i])) ++i;
  };
  skip_space();
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  ++i;
  std::string_view event, signer, signature;
  for (;;) {
    skip_space();
    if (i >= line.size() || line[i] != '"') return std::nullopt;
    const size_t key_end = StringEnd(line, i);
    if (key_end == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(i + 1, key_end - i - 2);
    i = key_end;
    skip_space();
    if (i >= line.size() || line[i] != ':') return std::nullopt;
    ++i;
    skip_space();
    if (i >= line.size()) return std::nullopt;
    const size_t value_end = ValueEnd(line, i);
    if (value_end == std::string_view::npos) return std::nullopt;
    const std::string_view value = line.substr(i, value_end - i);
    std::string_view* slot = key == "event"       ? &event
                             : key == "signer"    ? &signer
                             : key == "signature" ? &signature
                                                  : nullptr;
    if (slot == nullptr || !slot->empty()) return std::nullopt;
    *slot = value;
    i = value_end;
    skip_space();
    if (i < line.size() && line[i] == ',') {
      ++i;
      continue;
    }
    if (i < line.size() && line[i] == '}') {
      ++i;
      break;
    }
    return std::nullopt;
  }
  skip_space();
  if (i != line.size() || event.empty() || event.front() != '{') return std::nullopt;
  // The strings' text between their quotes, when it is plain printable ASCII.
  auto plain = [](std::string_view quoted) -> std::optional<std::string_view> {
    if (quoted.size() < 2 || quoted.front() != '"') return std::nullopt;
    quoted = quoted.substr(1, quoted.size() - 2);
    for (char c : quoted) {
      if (c < 0x20 || c > 0x7e || c == '\\' || c == '"') return std::nullopt;
    }
    return quoted;
  };
  std::optional<std::string_view> signer_text = plain(signer);
  std::optional<std::string_view> signature_text = plain(signature);
  if (!signer_text || !signature_text) return std::nullopt;
  Result<ledger::Bytes> raw = ledger::Base64Decode(*signature_text);
  if (!raw.ok() || raw->size() != 64) return std::nullopt;
  Result<domain::Event> decoded = domain::ParseEvent(event);
  if (!decoded.ok()) return std::nullopt;
  std::pair<SignedLine, domain::Event> out{SignedLine{}, std::move(decoded).value()};
  out.first.signer = std::string(*signer_text);
  std::copy(raw->begin(), raw->end(), out.first.signature.begin());
  return out;
}

}  // namespace

Result<std::optional<SignedLine>> ParseSignedLine(std::string_view line) {
  if (line.find("\"signature\"") == std::string_view::npos) return std::optional<SignedLine>();
  const json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("signature")) return std::optional<SignedLine>();
  for (const auto& [name, value] : parsed.items()) {
    if (name != "event" && name != "signer" && name != "signature") {
      return Status::BadInput(fmt::format(
          "a signed line holds \"event\", \"signer\" and \"signature\" only, not \"{}\"", name));
    }
  }
  auto event = parsed.find("event");
  auto signer = parsed.find("signer");
  auto signature = parsed.find("signature");
  if (event == parsed.end() || !event->is_object()) {
    return Status::BadInput("a signed line's \"event\" must be an object");
  }
  if (signer == parsed.end() || !signer->is_string()) {
    return Status::BadInput("a signed line's \"signer\" must be a key name");
  }
  if (!signature->is_string()) {
    return Status::BadInput("a signed line's \"signature\" must be base64 text");
  }
  Result<ledger::Bytes> raw = ledger::Base64Decode(signature->get<std::string>());
  if (!raw.ok() || raw->size() != 64) {
    return Status::BadInput("a signed line's \"signature\" is not 64 bytes of base64");
  }
  SignedLine out;
  out.event = event->dump();
  out.signer = signer->get<std::string>();
  std::copy(raw->begin(), raw->end(), out.signature.begin());
  return std::optional<SignedLine>(std::move(out));
}

std::string IdOfRefusedLine(std::string_view line) {
  const json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return "";
  const json* object = &parsed;
  if (auto event = parsed.find("event"); event != parsed.end() && event->is_object()) {
    object = &*event;
  }
  auto it = object->find("id");
  if (it == object->end() || !it->is_string()) return "";
  std::string id = it->get<std::string>();
  return ledger::IsValidEventId(id) ? id : "";
}

PreparedImportLine PrepareImportLine(ImportLine line, const ledger::KeyRegistry& keys,
                                     const ledger::SigningKey* default_key,
                                     std::string_view origin) {
  PreparedImportLine item;
  item.line_no = line.line_no;
  item.text = std::move(line.text);
  item.key = line.key != nullptr ? line.key : default_key;
  if (!line.read_error.ok()) {
    item.status = std::move(line.read_error);
    return item;
  }
  if (size_t nul = item.text.find('\0'); nul != std::string::npos) {
    item.status = Status::BadInput(
        fmt::format("a NUL byte at byte {} of the line: an event line is text", nul + 1));
    item.id = IdOfRefusedLine(std::string_view(item.text).substr(0, nul));
    return item;
  }
  size_t first = item.text.find_first_not_of(" \t\r");
  if (first == std::string::npos || item.text[first] == '#') {
    item.skip = true;
    return item;
  }
  PreparedEvent& prepared = item.prepared;
  // A signed line is read once (ReadPlainSignedLine); the general reading, with its
  // refusals, for any other form.
  std::optional<std::pair<SignedLine, domain::Event>> plain_signed;
  if (item.text.find("\"signature\"") != std::string::npos) {
    plain_signed = ReadPlainSignedLine(item.text);
  }
  if (plain_signed) {
    item.is_signed = true;
    prepared.signer = std::move(plain_signed->first.signer);
    prepared.signature = plain_signed->first.signature;
    prepared.event = std::move(plain_signed->second);
  } else {
    Result<std::optional<SignedLine>> signed_line = ParseSignedLine(item.text);
    if (!signed_line.ok()) {
      item.status = std::move(signed_line).TakeStatus();
      return item;
    }
    Result<domain::Event> event =
        domain::ParseEvent(signed_line->has_value() ? (*signed_line)->event : item.text);
    if (!event.ok()) {
      item.status = std::move(event).TakeStatus();
      return item;
    }
    prepared.event = std::move(event).value();
    if (signed_line->has_value()) {
      item.is_signed = true;
      prepared.signer = std::move((*signed_line)->signer);
      prepared.signature = (*signed_line)->signature;
    }
  }
  item.decoded = true;
  item.id = prepared.event.id;
  if (!item.is_signed && item.key == nullptr) {
    item.status = Status::InvalidArgument(
        "USAGE",
        "the line is not signed: give --key FILE to sign plain lines on the spot, or sign "
        "it with `sign`");
    return item;
  }
  FinishPreparedLine(item, keys, origin);
  return item;
}

bool SignerKnown(const PreparedImportLine& line, const ledger::KeyRegistry& keys) {
  if (line.is_signed) {
    const ledger::KeyInfo* signer = keys.Find(line.prepared.signer);
    return signer != nullptr && signer->active();
  }
  return line.key != nullptr && keys.FindActive(line.key->public_key()) != nullptr;
}

void FinishPreparedLine(PreparedImportLine& item, const ledger::KeyRegistry& keys,
                        std::string_view origin) {
  PreparedEvent& prepared = item.prepared;
  item.signer_unknown = false;
  const ledger::KeyInfo* signer = nullptr;
  if (item.is_signed) {
    signer = keys.Find(prepared.signer);
  } else if (item.key != nullptr) {
    signer = keys.FindActive(item.key->public_key());
  }
  if (signer == nullptr || !signer->active()) {
    // Refused in order, or signed in order by the ledger, unless a key enrolled by the
    // lines before makes it known: prepared again then (ImportPipeline::Run).
    item.signer_unknown = true;
    return;
  }
  Result<ledger::Entry> entry = EntryFromEvent(prepared.event);
  if (!entry.ok()) return;  // refused in order
  Result<ledger::EncodedStatement> statement = ledger::EncodeStatement(
      ledger::Statement{std::string(origin), entry->event_id, entry->type, entry->stream, entry->at,
                        entry->expected_version, entry->payload, signer->name});
  if (!statement.ok()) return;  // refused in order
  prepared.entry = std::move(entry).value();
  item.encoded = true;
  if (item.is_signed) {
    if (ledger::VerifyStatementSignature(statement->bytes, prepared.signature, signer->key)) {
      prepared.verified_with = signer->key;
    }
  } else {
    prepared.signer = signer->name;
    prepared.signature = ledger::SignStatement(statement->bytes, *item.key);
    prepared.verified_with = signer->key;
  }
  prepared.statement = std::move(statement).value();
}

Result<ledger::Appended> StagePrepared(EventAppender& appender, const PreparedImportLine& line) {
  if (!line.status.ok()) return line.status;
  const PreparedEvent& prepared = line.prepared;
  if (line.is_signed || !prepared.signer.empty()) {
    if (line.encoded) return appender.AddPrepared(prepared);
    return appender.AddSignedEvent(prepared.event, prepared.signer, prepared.signature);
  }
  // A plain line whose key was not known active when it was prepared: signed in order.
  if (line.key == nullptr) return appender.AddEvent(prepared.event);
  return appender.AddEvent(prepared.event, *line.key);
}

// ---------------------------------------------------------------------------------
// The workers.

struct ImportPipeline::Chunk {
  std::vector<ImportLine> input;
  std::vector<PreparedImportLine> lines;
  // Instead of `input`: decoded lines of an earlier chunk whose signer was unknown, to
  // finish against `keys` (FinishPreparedLine); owned by that chunk.
  std::vector<PreparedImportLine*> redo;
  ledger::KeyRegistry keys;  // as of the batch when the chunk was handed out
  std::atomic<size_t> next{0};
  size_t done = 0;  // lines prepared (Workers::mu_)

  size_t size() const { return redo.empty() ? input.size() : redo.size(); }
};

// Threads kept for the pipeline's life; each takes a few lines at a time of the oldest
// chunk not fully taken. The pipeline's thread takes lines too while it waits.
class ImportPipeline::Workers {
 public:
  Workers(unsigned threads, const ledger::SigningKey* default_key, std::string origin)
      : default_key_(default_key), origin_(std::move(origin)) {
    for (unsigned t = 0; t < threads; ++t) threads_.emplace_back([this] { Loop(); });
  }
  ~Workers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // `first`: before the chunks already queued (lines the pipeline waits for now).
  void Add(const std::shared_ptr<Chunk>& chunk, bool first = false) {
    chunk->lines.resize(chunk->input.size());
    if (chunk->size() == 0) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (first) {
        queue_.push_front(chunk);
      } else {
        queue_.push_back(chunk);
      }
    }
    work_cv_.notify_all();
  }

  // Until every line of `chunk` is prepared, preparing lines of it on this thread too.
  void Wait(Chunk& chunk) {
    Work(chunk);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return chunk.done == chunk.size(); });
  }

  // No line of `chunk` is taken from now on; waits for the ones under way.
  void Cancel(Chunk& chunk) {
    std::unique_lock<std::mutex> lock(mu_);
    chunk.next.store(chunk.size());
    std::erase_if(queue_, [&](const std::shared_ptr<Chunk>& c) { return c.get() == &chunk; });
    done_cv_.wait(lock, [&] { return in_progress_ == 0; });
  }

 private:
  static constexpr size_t kGrain = 8;  // lines taken at a time

  // Prepares lines of `chunk` until none is left to take.
  void Work(Chunk& chunk) {
    const size_t n = chunk.size();
    for (;;) {
      size_t from = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        from = chunk.next.fetch_add(kGrain);
        if (from >= n) return;
        ++in_progress_;
      }
      const size_t to = std::min(n, from + kGrain);
      for (size_t i = from; i < to; ++i) {
        if (chunk.redo.empty()) {
          chunk.lines[i] =
              PrepareImportLine(std::move(chunk.input[i]), chunk.keys, default_key_, origin_);
        } else {
          FinishPreparedLine(*chunk.redo[i], chunk.keys, origin_);
        }
      }
      bool wake = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        chunk.done += to - from;
        --in_progress_;
        // Who waits, waits for a whole chunk (Wait) or for no line under way (Cancel):
        // waking it at every grain cost a futex call and two context switches per 8 lines.
        wake = chunk.done == n || in_progress_ == 0;
      }
      if (wake) done_cv_.notify_all();
    }
  }

  void Loop() {
    for (;;) {
      std::shared_ptr<Chunk> chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        chunk = queue_.front();
        if (chunk->next.load() >= chunk->size()) {
          queue_.pop_front();  // every line taken
          continue;
        }
      }
      Work(*chunk);
    }
  }

  const ledger::SigningKey* default_key_;
  const std::string origin_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Chunk>> queue_;
  size_t in_progress_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------
// The pipeline.

ImportPipeline::ImportPipeline(ledger::Ledger& ledger, EventAppender& appender,
                               Projector* projector, Options options)
    : ledger_(ledger),
      appender_(appender),
      projector_(projector),
      options_(options),
      origin_(ledger.origin()) {
  const unsigned threads = options_.threads != 0
                               ? options_.threads
                               : std::clamp(std::thread::hardware_concurrency(), 1u, 64u);
  options_.group_commit = std::max<size_t>(options_.group_commit, 1);
  options_.chunk = std::max<size_t>(options_.chunk, 1);
  workers_ = std::make_unique<Workers>(threads, options_.key, origin_);
}

ImportPipeline::~ImportPipeline() = default;

ImportPipeline::Refusal ImportPipeline::Run(const Source& source, const Sink& sink) {
  Refusal refusal;
  // Lines staged or being written, not yet answered; the submitted groups among them:
  // (ledger size once durable, how many of the pending lines).
  std::deque<LineResult> pending;
  std::deque<std::pair<uint64_t, size_t>> groups;
  size_t grouped = 0;  // pending lines in `groups`
  auto answer_durable = [&] {
    while (!groups.empty() && groups.front().first <= ledger_.size()) {
      std::vector<LineResult> durable;
      durable.reserve(groups.front().second);
      for (size_t i = 0; i < groups.front().second; ++i) {
        durable.push_back(std::move(pending.front()));
        pending.pop_front();
      }
      if (!durable.empty()) sink(durable);
      grouped -= groups.front().second;
      groups.pop_front();
    }
  };
  // A write failed: the groups written before it are answered, the lines still pending
  // were not written.
  auto write_failed = [&](Status s) {
    answer_durable();
    if (projector_ != nullptr) (void)projector_->Reload();
    if (pending.empty()) {
      refusal.status = std::move(s);
      return;
    }
    refusal.line = pending.front().line_no;
    refusal.last_line = pending.back().line_no;
    refusal.id = pending.front().id;
    std::string range = refusal.last_line > refusal.line
                            ? fmt::format("lines {}-{}", refusal.line, refusal.last_line)
                            : fmt::format("line {}", refusal.line);
    refusal.status = std::move(s).WithContext(
        fmt::format("{} not written (the lines before are appended)", range));
    pending.clear();
    groups.clear();
  };

  // Chunks handed to the workers, oldest first: a few ahead of the one being staged.
  constexpr size_t kAhead = 3;
  std::deque<std::shared_ptr<Chunk>> ahead;
  bool more = true;
  auto refill = [&] {
    while (more && ahead.size() < kAhead) {
      auto chunk = std::make_shared<Chunk>();
      more = source(chunk->input, options_.chunk);
      if (chunk->input.empty()) {
        more = false;  // a call that gives no line ends the input
        break;
      }
      lines_read_ += chunk->input.size();
      chunk->keys = appender_.keys();
      workers_->Add(chunk);
      ahead.push_back(std::move(chunk));
    }
  };

  bool stop = false;
  refill();
  while (!stop && !ahead.empty()) {
    std::shared_ptr<Chunk> chunk = std::move(ahead.front());
    ahead.pop_front();
    workers_->Wait(*chunk);
    refill();
    for (size_t i = 0; i < chunk->lines.size(); ++i) {
      PreparedImportLine& line = chunk->lines[i];
      if (line.skip) continue;
      if (line.signer_unknown && SignerKnown(line, appender_.keys())) {
        // Keys enrolled by the lines staged since this chunk was prepared (the first
        // lines of a programme enrol its keys): the chunk's lines that wait for them
        // are finished again, on every core, instead of one by one here.
        auto redo = std::make_shared<Chunk>();
        redo->keys = appender_.keys();
        for (size_t j = i; j < chunk->lines.size(); ++j) {
          PreparedImportLine& later = chunk->lines[j];
          if (later.signer_unknown && SignerKnown(later, redo->keys)) redo->redo.push_back(&later);
        }
        lines_prepared_again_ += redo->redo.size();
        workers_->Add(redo, /*first=*/true);
        workers_->Wait(*redo);
      }
      esms::Result<ledger::Appended> staged = StagePrepared(appender_, line);
      if (!staged.ok()) {
        refusal.status = std::move(staged).TakeStatus();
        refusal.line = line.line_no;
        refusal.id = line.id.empty() ? IdOfRefusedLine(line.text) : line.id;
        stop = true;
        break;
      }
      pending.push_back(LineResult{line.line_no, std::move(line.id), *staged});
      // Freed now, while the staging has just read it, rather than with the whole chunk
      // later, cold: 1 300 bytes and a dozen blocks a line (1% less CPU per pre-signed
      // line, five alternated runs: BENCHMARKS.md, twelfth session).
      line = PreparedImportLine();
      if (appender_.staged() >= options_.group_commit) {
        // Written while the next lines are staged; answered once durable.
        const uint64_t end_size = appender_.size();
        if (Status s = appender_.Submit(); !s.ok()) {
          write_failed(std::move(s));
          stop = true;
          break;
        }
        groups.emplace_back(end_size, pending.size() - grouped);
        grouped = pending.size();
        answer_durable();
      }
    }
  }
  for (const std::shared_ptr<Chunk>& chunk : ahead) workers_->Cancel(*chunk);
  if (refusal.last_line == 0) {
    // The lines before a refused one are written all the same; if that write fails,
    // the first of them is what the caller must hear about.
    if (Status s = appender_.Commit(); !s.ok()) {
      write_failed(std::move(s));
    } else {
      groups.emplace_back(appender_.size(), pending.size() - grouped);
      answer_durable();
    }
  }
  return refusal;
}

}  // namespace esms::projections
