// The little XML ferry reads from S3: ListObjectsV2 results and error documents. S3's responses
// are flat and machine-written, so a scanner for <Tag>text</Tag> pairs is enough; a general XML
// parser would add a dependency for nothing. Also the two timestamp formats S3 uses.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::blob {

struct S3ListEntry {
  std::string key;
  int64_t size = 0;
  int64_t last_modified_unix_nanos = 0;
};

struct S3ListPage {
  std::vector<S3ListEntry> entries;
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

// Parses a ListBucketResult (ListObjectsV2). Corruption if it is not one or a field is malformed
// (a truncated page without a continuation token would loop forever, so that is refused too).
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;     // "NoSuchKey", "AccessDenied", ... (empty if the body was not an error)
  std::string message;
  std::string region;   // <Region>, sent with AuthorizationHeaderMalformed
};

// Parses an <Error> document; fields are empty when absent (HEAD responses have no body).
S3Error ParseS3Error(std::string_view xml);

// The text of the first <tag>...</tag> element in `xml`, entities decoded; nullopt if absent.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag);

// Decodes &amp; &lt; &gt; &quot; &apos; and numeric character references (to UTF-8).
std::string XmlUnescape(std::string_view text);

// "2026-11-27T16:00:11.123Z" (ISO 8601 / RFC 3339 in UTC, optional fraction) -> Unix nanos.
Result<int64_t> ParseIso8601(std::string_view text);
// "Fri, 27 Nov 2026 16:00:11 GMT" (RFC 7231 IMF-fixdate, the Last-Modified header) -> Unix nanos.
Result<int64_t> ParseHttpDate(std::string_view text);

}  // namespace ferry::blob
