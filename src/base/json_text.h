// JSON text written directly, without building a document: strings escaped exactly as
// nlohmann::json's dump() escapes them (so output is byte-identical to what ferry wrote before),
// except that bytes which are not valid UTF-8 become \ufffd, as Go's encoding/json (kopia) writes
// them, where dump() would throw. File names on Linux are bytes, not text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry {

// True if s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// s with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD (each
// such byte on its own, as Go's utf8.DecodeRune steps). Returns s unchanged when it is valid.
std::string ToValidUtf8(std::string_view s);

// Appends "s" as a JSON string: quotes, \" \\ \b \f \n \r \t, other control characters as
// \u00xx, invalid UTF-8 bytes as \ufffd, everything else as is.
void AppendJsonString(std::string* out, std::string_view s);

// Appends a JSON number.
void AppendJsonInt(std::string* out, int64_t v);
void AppendJsonUint(std::string* out, uint64_t v);

}  // namespace ferry
