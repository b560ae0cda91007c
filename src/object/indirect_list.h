// Indirect lists (kopia-format.md §13.2): the JSON stored in object X of an object ID `I`+X,
// naming the chunks of a large object in order:
//
//   {"stream":"kopia:indirect","entries":[{"l":1698099,"o":"13ea…"},{"s":1698099,"l":130208,"o":"e8ca…"}]}\n
//
// Field order and omissions follow Go's encoding/json of kopia's IndirectObjectEntry:
// `s` (start) and `l` (length) are `omitempty` (left out when 0), `o` is always present.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "object/object_id.h"

namespace ferry::object {

inline constexpr std::string_view kIndirectStreamId = "kopia:indirect";

struct IndirectEntry {
  int64_t start = 0;   // offset of the chunk in the object
  int64_t length = 0;  // its length
  ObjectId object;     // normally a direct content; may be any object

  int64_t end() const { return start + length; }
  friend bool operator==(const IndirectEntry&, const IndirectEntry&) = default;
};

// Appends one entry's JSON (`{"s":…,"l":…,"o":"…"}`, zero fields omitted) to *out.
void AppendIndirectEntryJson(const IndirectEntry& entry, std::string* out);

// The whole list, byte-identical to kopia's json.Encoder output (trailing newline included).
std::string SerializeIndirectList(const std::vector<IndirectEntry>& entries);

// Parses a list. Checks what a reader relies on: at least one entry, entries contiguous from 0,
// no negative lengths, valid object IDs. Violations are Corruption naming `what` (e.g. the list's
// object ID). The `stream` value is not checked (kopia does not either).
Result<std::vector<IndirectEntry>> ParseIndirectList(ByteView json, std::string_view what);

}  // namespace ferry::object
