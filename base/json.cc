#include "base/json.h"

#include <nlohmann/json.hpp>
#include <set>
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

Result<Json> ParseStrictJson(std::string_view text, size_t max_depth) {
  struct Frame {
    bool array;
    size_t index = 0;            // arrays: the element being read
    std::string key;             // objects: the key whose value is being read
    std::set<std::string> keys;  // objects: the keys seen so far
  };
  std::vector<Frame> frames;
  std::string error;
  // The path of the innermost open container ("" for the root object).
  auto path = [&frames] {
    std::string out;
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      out = frames[i].array ? IndexPath(out, frames[i].index)
                            : JoinPath(out, Sanitize(frames[i].key));
    }
    return out;
  };
  auto check = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if (!error.empty()) return false;
    if (event == Event::object_start || event == Event::array_start) {
      if (frames.size() >= max_depth) {
        error = path() + ": nested deeper than " + std::to_string(max_depth) + " levels";
        return false;
      }
      frames.push_back(Frame{event == Event::array_start, 0, {}, {}});
    } else if (event == Event::key) {
      std::string key = parsed.get<std::string>();
      if (!frames.back().keys.insert(key).second) {
        error = JoinPath(path(), Sanitize(key)) + ": duplicate key";
        return false;
      }
      frames.back().key = std::move(key);
    } else {  // a value ends: a scalar, or a container closes
      if (event != Event::value) frames.pop_back();
      if (!frames.empty() && frames.back().array) ++frames.back().index;
    }
    return true;
  };
  try {
    Json root = Json::parse(text, check);
    if (error.empty()) return root;
  } catch (const Json::exception& e) {
    if (error.empty()) {
      // "[json.exception.parse_error.101] parse error at line 1, ...": after the "] ".
      std::string_view what = e.what();
      if (size_t end = what.find("] "); what.starts_with('[') && end != std::string_view::npos) {
        what.remove_prefix(end + 2);
      }
      error = "invalid JSON: " + Sanitize(what);
    }
  }
  return Status::BadInput(error);
}

}  // namespace esms::base
