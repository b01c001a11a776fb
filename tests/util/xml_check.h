// A strict little XML checker for the SVG and HTML-embedded SVG our report writes: matched
// tags, double-quoted attributes, only the five XML entities, no stray '<' or '&'.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace learner::test {

struct XmlSummary {
  bool ok = false;
  std::string error;                      // what is wrong and at which byte, when !ok
  std::map<std::string, int> elements;    // element name -> how many
  std::vector<std::string> texts;         // unescaped character data of every element, in order
  std::vector<std::string> root_names;    // top-level elements, in order
};

// Checks `xml` (one or more top-level elements, whitespace between them allowed).
XmlSummary check_xml(const std::string& xml);

}  // namespace learner::test
