#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

namespace ferry::crypto {

namespace {

// One cache per kind of algorithm object. Entries are never freed: they live as long as the
// process, like OpenSSL's own implicit objects.
template <typename T, T* (*Fetch)(OSSL_LIB_CTX*, const char*, const char*)>
T* FetchCached(std::string_view name) {
  static std::mutex mu;
  static auto* cache = new std::unordered_map<std::string, T*>();
  std::lock_guard<std::mutex> lock(mu);
  std::string key(name);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  T* fetched = Fetch(nullptr, key.c_str(), nullptr);
  if (fetched != nullptr) cache->emplace(std::move(key), fetched);
  return fetched;
}

}  // namespace

const EVP_MD* FetchDigest(std::string_view name) {
  return FetchCached<EVP_MD, EVP_MD_fetch>(name);
}

const EVP_CIPHER* FetchCipher(std::string_view name) {
  return FetchCached<EVP_CIPHER, EVP_CIPHER_fetch>(name);
}

EVP_KDF* FetchKdf(std::string_view name) { return FetchCached<EVP_KDF, EVP_KDF_fetch>(name); }

std::string OpenSslError(std::string_view what) {
  std::string message(what);
  bool first = true;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    message += first ? ": " : "; ";
    message += buf;
    first = false;
  }
  return message;
}

void ThrowOutOfMemory() {
  ERR_clear_error();
  throw std::bad_alloc();
}

}  // namespace ferry::crypto
