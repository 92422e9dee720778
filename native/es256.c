/*
 * ES256 JWS signatures (RFC 7518 §3.4) for the key ring, through the OpenSSL that Node itself links
 * and exports to addons. node:crypto's sign() sets up a new OpenSSL context, parses an options object
 * and makes two Buffers on every call; here one context per key is made once, the digest and the
 * signature are computed in one call, and the answer comes back as the base64url text the JWT needs.
 * bench/README.md ("Eleventh round") has what it bought. src/keys/es256.ts loads it, and signs through
 * node:crypto when it is not built.
 *
 *   create(pkcs8: Buffer) -> signer     a P-256 private key, DER PKCS #8
 *   sign(signer, signingInput: string) -> base64url(R || S)
 */
#define NAPI_VERSION 8 /* type tags; Node 20 has 9 */
#include <node_api.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* Marks the externals this addon made, so sign() never takes another addon's pointer for a signer. */
static const napi_type_tag signer_tag = {0x6c61746368b3e256ULL, 0x9e6b2d1a5c0f4e71ULL};

typedef struct {
  EVP_PKEY *pkey;
  EVP_PKEY_CTX *ctx;
  EVP_MD *sha256;
} signer_t;

static void signer_free(signer_t *s) {
  EVP_PKEY_CTX_free(s->ctx);
  EVP_PKEY_free(s->pkey);
  EVP_MD_free(s->sha256);
  free(s);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  signer_free(data);
}

static napi_value fail(napi_env env, int type_error, const char *message) {
  if (type_error)
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  else
    napi_throw_error(env, "ERR_ES256", message);
  return NULL;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer)
    return fail(env, 1, "create() takes the private key as a DER PKCS #8 Buffer");
  void *data;
  size_t length;
  napi_get_buffer_info(env, argv[0], &data, &length);

  const unsigned char *p = data;
  EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)length);
  if (pkey == NULL) return fail(env, 0, "not a DER private key");
  char group[32] = "";
  size_t group_length = 0;
  if (!EVP_PKEY_is_a(pkey, "EC") ||
      !EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &group_length) ||
      strcmp(group, "prime256v1") != 0) {
    EVP_PKEY_free(pkey);
    return fail(env, 0, "ES256 needs a P-256 key");
  }
  signer_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    EVP_PKEY_free(pkey);
    return fail(env, 0, "out of memory");
  }
  s->pkey = pkey;
  s->ctx = EVP_PKEY_CTX_new(pkey, NULL);
  s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (s->ctx == NULL || s->sha256 == NULL || EVP_PKEY_sign_init(s->ctx) <= 0) {
    signer_free(s);
    return fail(env, 0, "could not set up ECDSA signing");
  }
  napi_value external;
  if (napi_create_external(env, s, finalize, NULL, &external) != napi_ok) {
    signer_free(s);
    return fail(env, 0, "could not wrap the signer");
  }
  // From here the finalizer owns `s`.
  if (napi_type_tag_object(env, external, &signer_tag) != napi_ok)
    return fail(env, 0, "could not tag the signer");
  return external;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 §5 without padding, for the 64-byte R || S: 21 groups of 3 bytes, then 1 byte left (86 characters). */
static size_t base64url_signature(const unsigned char in[64], char out[86]) {
  size_t o = 0;
  for (size_t i = 0; i < 63; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = alphabet[v >> 18 & 63];
    out[o++] = alphabet[v >> 12 & 63];
    out[o++] = alphabet[v >> 6 & 63];
    out[o++] = alphabet[v & 63];
  }
  out[o++] = alphabet[in[63] >> 2];
  out[o++] = alphabet[(in[63] & 3) << 4];
  return o;
}

static napi_value sign(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  signer_t *s = NULL;
  napi_valuetype type = napi_undefined;
  bool tagged = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, argv[0], &signer_tag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, argv[0], (void **)&s) != napi_ok || s == NULL ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_string)
    return fail(env, 1, "sign() takes a signer and the signing input as a string");

  // The JWT's signing input is its UTF-8 bytes (RFC 7515 §5.1). Most fit on the stack.
  char stack[4096];
  char *input = stack;
  size_t length = 0;
  napi_get_value_string_utf8(env, argv[1], NULL, 0, &length);
  if (length + 1 > sizeof stack && (input = malloc(length + 1)) == NULL)
    return fail(env, 0, "out of memory");
  napi_get_value_string_utf8(env, argv[1], input, length + 1, &length);

  unsigned char digest[32];
  unsigned int digest_length = 0;
  int ok = EVP_Digest(input, length, digest, &digest_length, s->sha256, NULL);
  if (input != stack) free(input);

  unsigned char der[80];
  size_t der_length = sizeof der;
  if (!ok || digest_length != 32 || EVP_PKEY_sign(s->ctx, der, &der_length, digest, 32) <= 0)
    return fail(env, 0, "ECDSA signing failed");

  // OpenSSL answers in DER; JWS wants R || S, each left-padded to 32 bytes (RFC 7518 §3.4).
  const unsigned char *p = der;
  ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_length);
  unsigned char raw[64];
  if (sig == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) != 32) {
    ECDSA_SIG_free(sig);
    return fail(env, 0, "ECDSA signature could not be decoded");
  }
  ECDSA_SIG_free(sig);

  char text[86];
  napi_value result;
  if (napi_create_string_latin1(env, text, base64url_signature(raw, text), &result) != napi_ok)
    return fail(env, 0, "could not return the signature");
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sign", NULL, sign, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
