// A small JSON reader and writer, enough for symbol files (MXNet 1.x format and ours).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mxc {
namespace json {

class Value {
 public:
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Number(double d);
  static Value String(std::string s);
  static Value Array();
  static Value Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == kNull; }
  bool is_bool() const { return type_ == kBool; }
  bool is_number() const { return type_ == kNumber; }
  bool is_string() const { return type_ == kString; }
  bool is_array() const { return type_ == kArray; }
  bool is_object() const { return type_ == kObject; }

  // Accessors throw a ValueError naming `what` when the type differs.
  bool AsBool(const char *what) const;
  double AsNumber(const char *what) const;
  int64_t AsInt(const char *what) const;  // a number with an integral value
  const std::string &AsString(const char *what) const;
  const std::vector<Value> &AsArray(const char *what) const;
  const std::vector<std::pair<std::string, Value>> &AsObject(const char *what) const;

  // Object member, or nullptr (also for a non-object).
  const Value *Find(const std::string &key) const;

  // Building
  Value &Push(Value v);                        // array
  Value &Set(const std::string &key, Value v);  // object (appends; keys keep insertion order)

  // Text. indent < 0: compact; otherwise pretty-printed with `indent` spaces per level.
  std::string Dump(int indent = -1) const;

 private:
  void DumpTo(std::string *out, int indent, int level) const;
  Type type_ = kNull;
  bool b_ = false;
  double num_ = 0;
  std::string str_;
  std::vector<Value> arr_;
  std::vector<std::pair<std::string, Value>> obj_;
};

// Parses a complete JSON text; errors are ValueErrors with the line and column.
Value Parse(const std::string &text);

// A JSON string literal for s (with quotes and escapes).
std::string Quote(const std::string &s);

}  // namespace json
}  // namespace mxc
