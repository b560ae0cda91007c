// Single-thread throughput of every content hash and encryptor on 1 MiB blocks (and 4 KiB and
// 64 B, to show per-call overhead), plus the raw-library comparisons behind the choices in
// docs/crypto.md (libb2 vs OpenSSL for BLAKE2, raw SHA-256 as the HMAC ceiling).
//
//   build-crypto/src/crypto/crypto_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <blake2.h>
#include <blake3.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <string>

#include "crypto/encryption.h"
#include "crypto/hashing.h"

namespace ferry::crypto {
namespace {

constexpr size_t kBlock = size_t{1} << 20;

// The first `size` bytes of one random 1 MiB buffer.
ByteView Data(size_t size) {
  static const Bytes* data = [] {
    auto* d = new Bytes(kBlock);
    (void)RandomBytes(*d);
    return d;
  }();
  return ByteView(*data).first(size);
}

Bytes Key(size_t n) {
  Bytes key(n);
  for (size_t i = 0; i < n; ++i) key[i] = static_cast<uint8_t>(0x80 + i);
  return key;
}

void BM_Hash(benchmark::State& state, std::string name) {
  auto hash = NewHashFunction(name, Key(32));
  if (!hash.ok()) {
    state.SkipWithError(hash.status().ToString().c_str());
    return;
  }
  const ByteView data = Data(static_cast<size_t>(state.range(0)));
  uint8_t out[kMaxHashSize];
  for (auto _ : state) {
    (*hash)->Hash(data, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(data.size()));
}

void BM_Encrypt(benchmark::State& state, std::string name) {
  auto encryptor = NewEncryptor(name, Key(32));
  if (!encryptor.ok()) {
    state.SkipWithError(encryptor.status().ToString().c_str());
    return;
  }
  const ByteView data = Data(static_cast<size_t>(state.range(0)));
  const Bytes iv = Key(16);
  Bytes out;  // reused, as the pack writer does
  for (auto _ : state) {
    if (!(*encryptor)->Encrypt(data, iv, &out).ok()) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(data.size()));
}

void BM_Decrypt(benchmark::State& state, std::string name) {
  auto encryptor = NewEncryptor(name, Key(32));
  if (!encryptor.ok()) {
    state.SkipWithError(encryptor.status().ToString().c_str());
    return;
  }
  const ByteView data = Data(static_cast<size_t>(state.range(0)));
  const Bytes iv = Key(16);
  Bytes sealed, out;
  if (!(*encryptor)->Encrypt(data, iv, &sealed).ok()) state.SkipWithError("encrypt failed");
  for (auto _ : state) {
    if (!(*encryptor)->Decrypt(sealed, iv, &out).ok()) state.SkipWithError("decrypt failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(data.size()));
}

// ---- Raw library comparisons (keyed, 32-byte key and digest, 1 MiB) ----

void BM_Libb2Blake2bKeyed(benchmark::State& state) {
  const Bytes key = Key(32);
  const ByteView data = Data(kBlock);
  blake2b_state initial;
  blake2b_init_key(&initial, 32, key.data(), key.size());
  uint8_t out[32];
  for (auto _ : state) {
    blake2b_state s = initial;
    blake2b_update(&s, data.data(), data.size());
    blake2b_final(&s, out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}

void BM_Libb2Blake2sKeyed(benchmark::State& state) {
  const Bytes key = Key(32);
  const ByteView data = Data(kBlock);
  blake2s_state initial;
  blake2s_init_key(&initial, 32, key.data(), key.size());
  uint8_t out[32];
  for (auto _ : state) {
    blake2s_state s = initial;
    blake2s_update(&s, data.data(), data.size());
    blake2s_final(&s, out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}

void BM_OpenSslBlake2Mac(benchmark::State& state, const char* mac_name) {
  const Bytes key = Key(32);
  const ByteView data = Data(kBlock);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, mac_name, nullptr);
  EVP_MAC_CTX* keyed = EVP_MAC_CTX_new(mac);
  size_t size = 32;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                               OSSL_PARAM_construct_end()};
  EVP_MAC_init(keyed, key.data(), key.size(), params);
  uint8_t out[32];
  for (auto _ : state) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
    size_t n = 0;
    EVP_MAC_update(ctx, data.data(), data.size());
    EVP_MAC_final(ctx, out, &n, sizeof(out));
    EVP_MAC_CTX_free(ctx);
    benchmark::DoNotOptimize(out);
  }
  EVP_MAC_CTX_free(keyed);
  EVP_MAC_free(mac);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}

void BM_OpenSslDigest(benchmark::State& state, const char* digest_name) {
  const ByteView data = Data(kBlock);
  EVP_MD* md = EVP_MD_fetch(nullptr, digest_name, nullptr);
  uint8_t out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}

void BM_Blake3Unkeyed(benchmark::State& state) {
  const ByteView data = Data(kBlock);
  uint8_t out[32];
  for (auto _ : state) {
    blake3_hasher hasher;
    blake3_hasher_init(&hasher);
    blake3_hasher_update(&hasher, data.data(), data.size());
    blake3_hasher_finalize(&hasher, out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}

void RegisterAll() {
  for (const std::string& name : HashAlgorithmNames()) {
    benchmark::RegisterBenchmark(("Hash/" + name).c_str(), BM_Hash, name)
        ->Arg(kBlock)
        ->Arg(4096)
        ->Arg(64);
  }
  for (const std::string& name : EncryptionAlgorithmNames()) {
    benchmark::RegisterBenchmark(("Encrypt/" + name).c_str(), BM_Encrypt, name)
        ->Arg(kBlock)
        ->Arg(4096)
        ->Arg(64);
    benchmark::RegisterBenchmark(("Decrypt/" + name).c_str(), BM_Decrypt, name)->Arg(kBlock);
  }
  benchmark::RegisterBenchmark("Raw/libb2-BLAKE2b-256-keyed", BM_Libb2Blake2bKeyed);
  benchmark::RegisterBenchmark("Raw/OpenSSL-BLAKE2BMAC-256", BM_OpenSslBlake2Mac, "BLAKE2BMAC");
  benchmark::RegisterBenchmark("Raw/libb2-BLAKE2s-256-keyed", BM_Libb2Blake2sKeyed);
  benchmark::RegisterBenchmark("Raw/OpenSSL-BLAKE2SMAC-256", BM_OpenSslBlake2Mac, "BLAKE2SMAC");
  benchmark::RegisterBenchmark("Raw/OpenSSL-SHA2-256", BM_OpenSslDigest, "SHA2-256");
  benchmark::RegisterBenchmark("Raw/OpenSSL-SHA3-256", BM_OpenSslDigest, "SHA3-256");
  benchmark::RegisterBenchmark("Raw/BLAKE3-unkeyed", BM_Blake3Unkeyed);
}

}  // namespace
}  // namespace ferry::crypto

int main(int argc, char** argv) {
  ferry::crypto::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
