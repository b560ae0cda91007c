// Deterministic test and benchmark inputs: prose-like text (a pseudo-word vocabulary with
// Zipf-like frequencies, sentences and log lines, so it compresses like real text) and random
// bytes (incompressible). SplitMix64 keeps them identical on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace ferry::compression::testing {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

inline Bytes RandomBytes(size_t size, uint64_t seed) {
  SplitMix64 rng(seed);
  Bytes out(size);
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng.Next();
    for (size_t j = 0; j < 8 && i + j < size; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return out;
}

inline Bytes ProseText(size_t size, uint64_t seed) {
  SplitMix64 rng(seed);
  static const char kLetters[] = "etaoinshrdlcumwfgypbvkjxqz";
  std::vector<std::string> vocab;
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    const size_t len = 1 + rng.Below(9);
    // Skewed letter choice: the square of a uniform index favours frequent letters.
    for (size_t j = 0; j < len; ++j) {
      const uint64_t u = rng.Below(26 * 26);
      w += kLetters[static_cast<size_t>(u * u / (26 * 26 * 26))];
    }
    vocab.push_back(w);
  }
  auto word = [&] {
    // Zipf-like: index = floor(n^(r^2)) style skew without floating point.
    const uint64_t a = rng.Below(vocab.size());
    const uint64_t b = rng.Below(vocab.size());
    return vocab[static_cast<size_t>(a * b / vocab.size())];
  };
  std::string text;
  text.reserve(size + 256);
  uint64_t line = 0;
  while (text.size() < size) {
    ++line;
    if (line % 4 == 0) {
      text += "2024-0" + std::to_string(1 + line % 9) + "-1" + std::to_string(line % 10) +
              " INFO request id=" + std::to_string(rng.Below(1000000)) + " ";
    }
    const size_t words = 4 + rng.Below(14);
    for (size_t i = 0; i < words; ++i) {
      std::string w = word();
      if (i == 0 && !w.empty()) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      text += w;
      text += i + 1 == words ? ".\n" : " ";
    }
  }
  text.resize(size);
  return ToBytes(text);
}

}  // namespace ferry::compression::testing
