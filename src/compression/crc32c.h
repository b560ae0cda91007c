// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum of Snappy/S2 framed streams
// (kopia-format.md §6). Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
// run time) and a table-driven loop otherwise; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::compression::crc32c {

// Returns the CRC-32C of data[0, n) appended to a message whose CRC-32C was `crc`
// (Extend(0, ...) is the CRC of a fresh message).
uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t Value(const uint8_t* data, size_t n) { return Extend(0, data, n); }

// Returns the CRC-32C of A followed by B, given crc_a = Value(A), crc_b = Value(B) and B's
// length (the CRC is linear over GF(2): A's register is advanced over len_b zero bytes).
// Costs up to ~64 small polynomial products, whatever the lengths.
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

// Snappy framing stores CRCs "masked" so that a CRC computed over data that itself contains
// CRCs stays well distributed: rotate right by 15 and add a constant.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

// Exposed so tests can check both implementations against each other.
uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t n);
bool HardwareAvailable();
uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t n);  // only if available

}  // namespace ferry::compression::crc32c
