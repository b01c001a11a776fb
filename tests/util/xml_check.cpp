// The strict little XML checker of xml_check.h.
#include "tests/util/xml_check.h"

#include <cctype>

namespace learner::test {

namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.'; }

// Unescapes character data; false on a bare '<' or an unknown entity.
bool unescape(const std::string& raw, std::string& out, std::string& error) {
  static const std::map<std::string, char> entities = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '<') {
      error = "bare '<'";
      return false;
    }
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    const size_t end = raw.find(';', i);
    const auto it = end == std::string::npos ? entities.end() : entities.find(raw.substr(i + 1, end - i - 1));
    if (it == entities.end()) {
      error = "bad entity near '" + raw.substr(i, 8) + "'";
      return false;
    }
    out += it->second;
    i = end;
  }
  return true;
}

}  // namespace

XmlSummary check_xml(const std::string& xml) {
  XmlSummary s;
  std::vector<std::string> stack;
  std::string pending_text;
  auto fail = [&](size_t pos, const std::string& what) {
    s.ok = false;
    s.error = what + " at byte " + std::to_string(pos);
    return s;
  };
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const size_t next = xml.find('<', i);
      const std::string raw = xml.substr(i, next == std::string::npos ? std::string::npos : next - i);
      if (stack.empty()) {
        for (char c : raw)
          if (!std::isspace(static_cast<unsigned char>(c))) return fail(i, "text outside the root element");
      } else {
        std::string error;
        if (!unescape(raw, pending_text, error)) return fail(i, error);
      }
      if (next == std::string::npos) break;
      i = next;
      continue;
    }
    const bool closing = i + 1 < xml.size() && xml[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < xml.size() && name_char(xml[j])) ++j;
    const std::string name = xml.substr(name_start, j - name_start);
    if (name.empty()) return fail(i, "a tag without a name");
    if (closing) {
      if (j >= xml.size() || xml[j] != '>') return fail(j, "junk in closing tag </" + name);
      if (stack.empty() || stack.back() != name)
        return fail(i, "</" + name + "> closes <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">");
      stack.pop_back();
      s.texts.push_back(pending_text);
      pending_text.clear();
      i = j + 1;
      continue;
    }
    // Attributes: name="value", separated by whitespace.
    bool self_closing = false;
    for (;;) {
      while (j < xml.size() && std::isspace(static_cast<unsigned char>(xml[j]))) ++j;
      if (j >= xml.size()) return fail(j, "unterminated <" + name);
      if (xml[j] == '>') break;
      if (xml.compare(j, 2, "/>") == 0) {
        self_closing = true;
        ++j;
        break;
      }
      const size_t attr_start = j;
      while (j < xml.size() && name_char(xml[j])) ++j;
      if (j == attr_start || j + 1 >= xml.size() || xml[j] != '=' || xml[j + 1] != '"')
        return fail(j, "malformed attribute in <" + name);
      const size_t value_end = xml.find('"', j + 2);
      if (value_end == std::string::npos) return fail(j, "unterminated attribute value in <" + name);
      std::string value, error;
      if (!unescape(xml.substr(j + 2, value_end - j - 2), value, error)) return fail(j, error + " in an attribute of <" + name);
      j = value_end + 1;
    }
    if (stack.empty()) s.root_names.push_back(name);
    ++s.elements[name];
    pending_text.clear();
    if (!self_closing) stack.push_back(name);
    i = j + 1;
  }
  if (!stack.empty()) return fail(xml.size(), "<" + stack.back() + "> is never closed");
  if (s.root_names.empty()) return fail(0, "no element");
  s.ok = true;
  return s;
}

}  // namespace learner::test
