#include "blob/s3_xml.h"

#include <charconv>
#include <cstring>
#include <ctime>

namespace ferry::blob {

namespace {

// Finds the next <tag>...</tag> at or after `from`; returns the inner text's bounds and sets
// *after past the closing tag. "<tag/>" counts as empty text. Attributes are allowed.
bool FindElement(std::string_view xml, std::string_view tag, size_t from, size_t* begin,
                 size_t* end, size_t* after) {
  std::string open = "<" + std::string(tag);
  size_t pos = from;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t p = pos + open.size();
    if (p >= xml.size()) return false;
    char c = xml[p];
    if (c == '>' || c == ' ' || c == '/' || c == '\t' || c == '\n' || c == '\r') {
      size_t gt = xml.find('>', p);
      if (gt == std::string_view::npos) return false;
      if (xml[gt - 1] == '/') {  // <tag/>
        *begin = *end = gt + 1;
        *after = gt + 1;
        return true;
      }
      std::string close = "</" + std::string(tag) + ">";
      size_t ce = xml.find(close, gt + 1);
      if (ce == std::string_view::npos) return false;
      *begin = gt + 1;
      *end = ce;
      *after = ce + close.size();
      return true;
    }
    pos = p;  // a longer tag name that merely starts with `tag`
  }
  return false;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool ParseInt(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += text[i];
      continue;
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      uint32_t cp = 0;
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size() || cp > 0x10FFFF) {
        out.append(text.substr(i, semi - i + 1));
      } else {
        AppendUtf8(cp, &out);
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag) {
  size_t b, e, a;
  if (!FindElement(xml, tag, 0, &b, &e, &a)) return std::nullopt;
  return XmlUnescape(xml.substr(b, e - b));
}

Result<int64_t> ParseIso8601(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  auto bad = [&] { return Status::Corruption("bad S3 timestamp \"" + std::string(t.substr(0, 40)) + "\""); };
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':') {
    return bad();
  }
  int64_t y, mo, d, h, mi, s;
  if (!ParseInt(t.substr(0, 4), &y) || !ParseInt(t.substr(5, 2), &mo) ||
      !ParseInt(t.substr(8, 2), &d) || !ParseInt(t.substr(11, 2), &h) ||
      !ParseInt(t.substr(14, 2), &mi) || !ParseInt(t.substr(17, 2), &s) || mo < 1 || mo > 12 ||
      d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return bad();
  }
  size_t i = 19;
  int64_t nanos = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (t[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (digits == 0) return bad();
    for (; digits < 9; ++digits) nanos *= 10;
  }
  if (i + 1 != t.size() || (t[i] != 'Z' && t[i] != 'z')) return bad();
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return secs * 1'000'000'000 + nanos;
}

Result<int64_t> ParseHttpDate(std::string_view t) {
  // "Fri, 27 Nov 2026 16:00:11 GMT"
  auto bad = [&] { return Status::Corruption("bad HTTP date \"" + std::string(t.substr(0, 40)) + "\""); };
  if (t.size() != 29 || t[3] != ',' || t.substr(26) != "GMT") return bad();
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t mo = 0;
  for (int k = 0; k < 12; ++k) {
    if (t.substr(8, 3) == kMonths[k]) mo = k + 1;
  }
  int64_t d, y, h, mi, s;
  if (mo == 0 || !ParseInt(t.substr(5, 2), &d) || !ParseInt(t.substr(12, 4), &y) ||
      !ParseInt(t.substr(17, 2), &h) || !ParseInt(t.substr(20, 2), &mi) ||
      !ParseInt(t.substr(23, 2), &s) || t[19] != ':' || t[22] != ':') {
    return bad();
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return secs * 1'000'000'000;
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  size_t b, e, a;
  if (!FindElement(xml, "ListBucketResult", 0, &b, &e, &a)) {
    return Status::Corruption("S3 listing response is not a ListBucketResult");
  }
  std::string_view body = xml.substr(b, e - b);
  S3ListPage page;
  // Contents elements first; the scalar fields are looked up outside them.
  size_t pos = 0;
  std::string rest;  // body without the Contents elements
  while (FindElement(body, "Contents", pos, &b, &e, &a)) {
    rest.append(body.substr(pos, b - pos));
    std::string_view c = body.substr(b, e - b);
    S3ListEntry entry;
    auto key = XmlElementText(c, "Key");
    auto size = XmlElementText(c, "Size");
    auto modified = XmlElementText(c, "LastModified");
    if (!key || !size || !modified || !ParseInt(*size, &entry.size) || entry.size < 0) {
      return Status::Corruption("S3 listing has an entry without a valid Key, Size or LastModified");
    }
    entry.key = std::move(*key);
    FERRY_ASSIGN_OR_RETURN(entry.last_modified_unix_nanos, ParseIso8601(*modified));
    page.entries.push_back(std::move(entry));
    pos = a;
  }
  rest.append(body.substr(pos));
  auto truncated = XmlElementText(rest, "IsTruncated");
  page.truncated = truncated && *truncated == "true";
  if (page.truncated) {
    auto token = XmlElementText(rest, "NextContinuationToken");
    if (!token || token->empty()) {
      return Status::Corruption("S3 listing is truncated but has no NextContinuationToken");
    }
    page.next_continuation_token = std::move(*token);
  }
  return page;
}

S3Error ParseS3Error(std::string_view xml) {
  S3Error err;
  size_t b, e, a;
  if (!FindElement(xml, "Error", 0, &b, &e, &a)) return err;
  std::string_view body = xml.substr(b, e - b);
  err.code = XmlElementText(body, "Code").value_or("");
  err.message = XmlElementText(body, "Message").value_or("");
  err.region = XmlElementText(body, "Region").value_or("");
  return err;
}

}  // namespace ferry::blob
