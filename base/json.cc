#include "base/json.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/text.h"

namespace esms::base {

using Json = nlohmann::json;

std::string JoinPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out.append(key);
  return out;
}

std::string IndexPath(std::string_view path, size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

namespace {

// nlohmann's SAX events -> the document, as its own DOM parser builds it, refusing a key
// repeated in one object and nesting beyond `max_depth`. `error_` holds the first problem;
// false from an event stops the parse there.
class StrictDom {
 public:
  explicit StrictDom(size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(nullptr); }
  bool boolean(bool value) { return Add(value); }
  bool number_integer(Json::number_integer_t value) { return Add(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return Add(value); }
  bool number_float(Json::number_float_t value, const std::string&) { return Add(value); }
  bool string(std::string& value) { return Add(std::move(value)); }
  bool binary(Json::binary_t& value) { return Add(std::move(value)); }  // not from a text
  bool start_object(size_t) { return Open(Json::value_t::object); }
  bool start_array(size_t) { return Open(Json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& key) {
    Json::object_t& object = open_.back().value->get_ref<Json::object_t&>();
    const auto [it, added] = object.try_emplace(std::move(key));
    if (!added) return Fail(JoinPath(Path(), Sanitize(it->first)) + ": duplicate key");
    open_.back().key = &it->first;
    slot_ = &it->second;
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, ...": after the "] ".
    std::string_view what = e.what();
    if (size_t end = what.find("] "); what.starts_with('[') && end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
    return Fail("invalid JSON: " + Sanitize(what));
  }

  Json root;
  std::string error;

 private:
  struct Level {
    Json* value;                       // an open object or array
    const std::string* key = nullptr;  // an object's: the key whose value is being read
  };

  // Where a value goes: the root, the end of the open array, or the open object's key.
  Json* Place(Json&& value) {
    if (open_.empty()) return &(root = std::move(value));
    Json& parent = *open_.back().value;
    if (!parent.is_array()) return &(*slot_ = std::move(value));
    Json::array_t& array = parent.get_ref<Json::array_t&>();
    array.push_back(std::move(value));
    return &array.back();
  }
  bool Add(Json&& value) {
    Place(std::move(value));
    return true;
  }
  bool Open(Json::value_t type) {
    if (open_.size() >= max_depth_) {
      return Fail(Path() + ": nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    open_.push_back(Level{Place(Json(type))});
    return true;
  }
  bool Close() {
    open_.pop_back();
    return true;
  }
  bool Fail(std::string why) {
    if (error.empty()) error = std::move(why);
    return false;
  }
  // The path of the innermost open container ("" for the root).
  std::string Path() const {
    std::string out;
    for (size_t i = 0; i + 1 < open_.size(); ++i) {
      out = open_[i].key == nullptr ? IndexPath(out, open_[i].value->size() - 1)
                                    : JoinPath(out, Sanitize(*open_[i].key));
    }
    return out;
  }

  const size_t max_depth_;
  std::vector<Level> open_;
  Json* slot_ = nullptr;  // the open object's value for its last key
};

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, size_t max_depth) {
  StrictDom dom(max_depth);
  try {
    if (Json::sax_parse(text, &dom) && dom.error.empty()) return std::move(dom.root);
  } catch (const std::exception& e) {  // none expected from a SAX parse but memory
    if (dom.error.empty()) dom.error = "invalid JSON: " + Sanitize(e.what());
  }
  return Status::BadInput(dom.error.empty() ? "invalid JSON" : dom.error);
}

}  // namespace esms::base
