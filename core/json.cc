#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base.h"

namespace mxc {
namespace json {

Value Value::Bool(bool b) {
  Value v;
  v.type_ = kBool;
  v.b_ = b;
  return v;
}
Value Value::Number(double d) {
  Value v;
  v.type_ = kNumber;
  v.num_ = d;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.type_ = kString;
  v.str_ = std::move(s);
  return v;
}
Value Value::Array() {
  Value v;
  v.type_ = kArray;
  return v;
}
Value Value::Object() {
  Value v;
  v.type_ = kObject;
  return v;
}

static const char *TypeName(Value::Type t) {
  switch (t) {
    case Value::kNull: return "null";
    case Value::kBool: return "a boolean";
    case Value::kNumber: return "a number";
    case Value::kString: return "a string";
    case Value::kArray: return "an array";
    case Value::kObject: return "an object";
  }
  return "?";
}

#define MXC_JSON_EXPECT(t, name)                                                                          \
  if (type_ != t) Throw(ErrorKind::kValue, "JSON: ", what, " must be ", name, ", got ", TypeName(type_))

bool Value::AsBool(const char *what) const {
  MXC_JSON_EXPECT(kBool, "a boolean");
  return b_;
}
double Value::AsNumber(const char *what) const {
  MXC_JSON_EXPECT(kNumber, "a number");
  return num_;
}
int64_t Value::AsInt(const char *what) const {
  MXC_JSON_EXPECT(kNumber, "an integer");
  if (num_ != std::floor(num_) || std::fabs(num_) > 9.0e15)
    Throw(ErrorKind::kValue, "JSON: ", what, " must be an integer, got ", num_);
  return static_cast<int64_t>(num_);
}
const std::string &Value::AsString(const char *what) const {
  MXC_JSON_EXPECT(kString, "a string");
  return str_;
}
const std::vector<Value> &Value::AsArray(const char *what) const {
  MXC_JSON_EXPECT(kArray, "an array");
  return arr_;
}
const std::vector<std::pair<std::string, Value>> &Value::AsObject(const char *what) const {
  MXC_JSON_EXPECT(kObject, "an object");
  return obj_;
}
#undef MXC_JSON_EXPECT

const Value *Value::Find(const std::string &key) const {
  if (type_ != kObject) return nullptr;
  for (auto &kv : obj_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

Value &Value::Push(Value v) {
  if (type_ != kArray) Throw(ErrorKind::kInternal, "JSON: Push on a non-array");
  arr_.push_back(std::move(v));
  return arr_.back();
}

Value &Value::Set(const std::string &key, Value v) {
  if (type_ != kObject) Throw(ErrorKind::kInternal, "JSON: Set on a non-object");
  obj_.emplace_back(key, std::move(v));
  return obj_.back().second;
}

std::string Quote(const std::string &s) {
  std::string o;
  o.reserve(s.size() + 2);
  o.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          o += buf;
        } else {
          o.push_back(static_cast<char>(c));
        }
    }
  }
  o.push_back('"');
  return o;
}

static std::string NumberText(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
    return buf;
  }
  if (!std::isfinite(d)) return "null";  // JSON has no inf/nan
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

void Value::DumpTo(std::string *out, int indent, int level) const {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (type_) {
    case kNull: *out += "null"; break;
    case kBool: *out += b_ ? "true" : "false"; break;
    case kNumber: *out += NumberText(num_); break;
    case kString: *out += Quote(str_); break;
    case kArray:
      out->push_back('[');
      for (size_t i = 0; i < arr_.size(); ++i) {
        if (i) out->push_back(',');
        newline(level + 1);
        arr_[i].DumpTo(out, indent, level + 1);
      }
      if (!arr_.empty()) newline(level);
      out->push_back(']');
      break;
    case kObject:
      out->push_back('{');
      for (size_t i = 0; i < obj_.size(); ++i) {
        if (i) out->push_back(',');
        newline(level + 1);
        *out += Quote(obj_[i].first);
        *out += indent < 0 ? ":" : ": ";
        obj_[i].second.DumpTo(out, indent, level + 1);
      }
      if (!obj_.empty()) newline(level);
      out->push_back('}');
      break;
  }
}

std::string Value::Dump(int indent) const {
  std::string s;
  DumpTo(&s, indent, 0);
  return s;
}

// ----------------------------------------------------------------------------------------------------------------
// Parser
// ----------------------------------------------------------------------------------------------------------------
namespace {

class Parser {
 public:
  explicit Parser(const std::string &t) : t_(t) {}

  Value ParseDocument() {
    Value v = ParseValue(0);
    SkipSpace();
    if (pos_ != t_.size()) Fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string &why) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < t_.size(); ++i) {
      if (t_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    Throw(ErrorKind::kValue, "JSON parse error at line ", line, ", column ", col, ": ", why);
  }

  void SkipSpace() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\r' || t_[pos_] == '\t'))
      ++pos_;
  }

  bool Consume(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (t_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  Value ParseValue(int depth) {
    if (depth > 512) Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= t_.size()) Fail("unexpected end of text");
    char c = t_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') return Value::String(ParseString());
    if (Consume("true")) return Value::Bool(true);
    if (Consume("false")) return Value::Bool(false);
    if (Consume("null")) return Value::Null();
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    Fail(std::string("unexpected character '") + c + "'");
  }

  Value ParseNumber() {
    const char *begin = t_.c_str() + pos_;
    char *end = nullptr;
    double d = std::strtod(begin, &end);
    if (end == begin) Fail("bad number");
    pos_ += static_cast<size_t>(end - begin);
    return Value::Number(d);
  }

  static void AppendUtf8(std::string *s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  uint32_t Hex4() {
    if (pos_ + 4 > t_.size()) Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else Fail("bad \\u escape");
    }
    return v;
  }

  std::string ParseString() {
    ++pos_;  // opening quote
    std::string s;
    while (true) {
      if (pos_ >= t_.size()) Fail("unterminated string");
      char c = t_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        s.push_back(c);
        continue;
      }
      if (pos_ >= t_.size()) Fail("unterminated string");
      char e = t_[pos_++];
      switch (e) {
        case '"': s.push_back('"'); break;
        case '\\': s.push_back('\\'); break;
        case '/': s.push_back('/'); break;
        case 'b': s.push_back('\b'); break;
        case 'f': s.push_back('\f'); break;
        case 'n': s.push_back('\n'); break;
        case 'r': s.push_back('\r'); break;
        case 't': s.push_back('\t'); break;
        case 'u': {
          uint32_t cp = Hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 1 < t_.size() && t_[pos_] == '\\' && t_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t lo = Hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(&s, cp);
          break;
        }
        default: Fail(std::string("bad escape '\\") + e + "'");
      }
    }
    return s;
  }

  Value ParseArray(int depth) {
    ++pos_;
    Value v = Value::Array();
    SkipSpace();
    if (pos_ < t_.size() && t_[pos_] == ']') {
      ++pos_;
      return v;
    }
    while (true) {
      v.Push(ParseValue(depth + 1));
      SkipSpace();
      if (pos_ >= t_.size()) Fail("unterminated array");
      char c = t_[pos_++];
      if (c == ']') break;
      if (c != ',') Fail("expected ',' or ']' in an array");
    }
    return v;
  }

  Value ParseObject(int depth) {
    ++pos_;
    Value v = Value::Object();
    SkipSpace();
    if (pos_ < t_.size() && t_[pos_] == '}') {
      ++pos_;
      return v;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= t_.size() || t_[pos_] != '"') Fail("expected a string key in an object");
      std::string key = ParseString();
      SkipSpace();
      if (pos_ >= t_.size() || t_[pos_] != ':') Fail("expected ':' after an object key");
      ++pos_;
      v.Set(key, ParseValue(depth + 1));
      SkipSpace();
      if (pos_ >= t_.size()) Fail("unterminated object");
      char c = t_[pos_++];
      if (c == '}') break;
      if (c != ',') Fail("expected ',' or '}' in an object");
    }
    return v;
  }

  const std::string &t_;
  size_t pos_ = 0;
};

}  // namespace

Value Parse(const std::string &text) { return Parser(text).ParseDocument(); }

}  // namespace json
}  // namespace mxc
