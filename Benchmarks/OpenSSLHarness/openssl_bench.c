/*
 * The OpenSSL side of Benchmarks/compare.sh: the same operations as Warden's benchmarks, on the same fixture
 * files, measured the same way (several rounds of a fixed duration, median ops/s reported).
 *
 *   openssl_bench FIXTURE_DIR                 prints one line per benchmark: "<name> <median ops/s>"
 *   openssl_bench FIXTURE_DIR count NAME N    sets up, then runs NAME N times (for callgrind, at N and 2N)
 *
 * The first form also mints the JWT-SVID both sides verify (FIXTURE_DIR/token.jwt, ES256 with
 * FIXTURE_DIR/jwt-key.pem, kid "bench", audience "bench", valid for a day).
 */
#define _GNU_SOURCE
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5
#define ROUND_SECONDS 1.0

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "openssl_bench: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static unsigned char *read_file(const char *dir, const char *name, long *length) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "rb");
    if (!file) die(path);
    fseek(file, 0, SEEK_END);
    *length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)*length);
    if (fread(bytes, 1, (size_t)*length, file) != (size_t)*length) die(path);
    fclose(file);
    return bytes;
}

static X509 *read_pem_certificate(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    if (!file) die(path);
    X509 *certificate = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    if (!certificate) die(path);
    return certificate;
}

typedef int (*operation)(void *context);

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 100 warm-up calls (fewer if they take more than ROUND_SECONDS), then ROUNDS rounds of ROUND_SECONDS each; returns
   the median rate. */
static double measure(operation op, void *context) {
    double rates[ROUNDS];
    double warmup_start = now();
    for (int warmup = 0; warmup < 100 && now() - warmup_start < ROUND_SECONDS; warmup++) op(context);
    for (int round = 0; round < ROUNDS; round++) {
        long count = 0;
        double start = now(), elapsed;
        do {
            for (int i = 0; i < 16; i++) {
                if (!op(context)) die("operation failed");
            }
            count += 16;
            elapsed = now() - start;
        } while (elapsed < ROUND_SECONDS);
        rates[round] = (double)count / elapsed;
    }
    qsort(rates, ROUNDS, sizeof rates[0], compare_doubles);
    return rates[ROUNDS / 2];
}

struct der_input { const unsigned char *bytes; long length; };

static int parse_certificate(void *context) {
    struct der_input *input = context;
    const unsigned char *cursor = input->bytes;
    X509 *certificate = d2i_X509(NULL, &cursor, input->length);
    if (!certificate) return 0;
    X509_free(certificate);
    return 1;
}

static int parse_crl(void *context) {
    struct der_input *input = context;
    const unsigned char *cursor = input->bytes;
    X509_CRL *crl = d2i_X509_CRL(NULL, &cursor, input->length);
    if (!crl) return 0;
    X509_CRL_free(crl);
    return 1;
}

static int create_csr(void *context) {
    EVP_PKEY *key = context;
    X509_REQ *request = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
    X509_REQ_set_subject_name(request, name);
    X509_NAME_free(name);
    X509_REQ_set_pubkey(request, key);
    STACK_OF(X509_EXTENSION) *extensions = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                                              "URI:spiffe://example.org/bench,DNS:bench.example.org");
    sk_X509_EXTENSION_push(extensions, san);
    X509_REQ_add_extensions(request, extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    int ok = X509_REQ_sign(request, key, EVP_sha256()) > 0;
    unsigned char *der = NULL;
    int length = i2d_X509_REQ(request, &der);
    OPENSSL_free(der);
    X509_REQ_free(request);
    return ok && length > 0;
}

struct chain_input { X509_STORE *store; X509 *leaf; STACK_OF(X509) *intermediates; };

static int verify_chain(void *context) {
    struct chain_input *input = context;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, input->store, input->leaf, input->intermediates);
    int ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    return ok;
}

static const char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t base64url_encode(const unsigned char *in, size_t length, char *out) {
    size_t o = 0;
    unsigned value = 0;
    int bits = 0;
    for (size_t i = 0; i < length; i++) {
        value = (value << 8) | in[i];
        bits += 8;
        while (bits >= 6) { bits -= 6; out[o++] = base64url_alphabet[(value >> bits) & 0x3F]; }
    }
    if (bits > 0) out[o++] = base64url_alphabet[(value << (6 - bits)) & 0x3F];
    out[o] = 0;
    return o;
}

static size_t base64url_decode(const char *in, size_t length, unsigned char *out) {
    size_t o = 0;
    unsigned value = 0;
    int bits = 0;
    for (size_t i = 0; i < length; i++) {
        const char *p = strchr(base64url_alphabet, in[i]);
        if (!p || !in[i]) die("bad base64url");
        value = (value << 6) | (unsigned)(p - base64url_alphabet);
        bits += 6;
        if (bits >= 8) { bits -= 8; out[o++] = (unsigned char)(value >> bits); }
    }
    return o;
}

/* Mints the token: header and claims as a JWT library writes them, an ES256 signature as raw R||S. */
static void mint_token(const char *dir, EVP_PKEY *key) {
    char claims[512], header_b64[256], claims_b64[1024], input[2048], signature_b64[256], path[4096];
    const char *header = "{\"alg\":\"ES256\",\"kid\":\"bench\",\"typ\":\"JWT\"}";
    long issued = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"aud\":\"bench\",\"exp\":%ld,\"iat\":%ld,\"iss\":\"https://bench.example.org\",\"sub\":\"spiffe://example.org/bench\"}",
             issued + 86400, issued);
    base64url_encode((const unsigned char *)header, strlen(header), header_b64);
    base64url_encode((const unsigned char *)claims, strlen(claims), claims_b64);
    snprintf(input, sizeof input, "%s.%s", header_b64, claims_b64);
    unsigned char der[128];
    size_t der_length = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, der, &der_length, (const unsigned char *)input, strlen(input)) != 1) die("sign token");
    EVP_MD_CTX_free(ctx);
    const unsigned char *cursor = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &cursor, (long)der_length);
    unsigned char raw[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    ECDSA_SIG_free(sig);
    base64url_encode(raw, 64, signature_b64);
    snprintf(path, sizeof path, "%s/token.jwt", dir);
    FILE *file = fopen(path, "w");
    if (!file) die(path);
    fprintf(file, "%s.%s", input, signature_b64);
    fclose(file);
}

/* What a JWT library on OpenSSL does per ES256 token: the raw signature to DER, then an EVP verify of the input. */
struct jwt_input { EVP_PKEY *key; const char *input; size_t input_length; const char *signature_b64; size_t signature_length; };

static int verify_jwt(void *context) {
    struct jwt_input *jwt = context;
    unsigned char raw[96], der[128], *out = der;
    if (base64url_decode(jwt->signature_b64, jwt->signature_length, raw) != 64) return 0;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    int der_length = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, jwt->key) == 1 &&
             EVP_DigestVerify(ctx, der, (size_t)der_length, (const unsigned char *)jwt->input, jwt->input_length) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Every operation's context, set up once: the fixtures read, the chain's store built, the token minted (measure mode)
   or read (count mode, which runs after a measure run has minted it). */
struct contexts {
    struct der_input leaf, rsa_root, crl_100k;
    EVP_PKEY *csr_key;
    struct chain_input chain;
    struct jwt_input jwt;
};

static EVP_PKEY *read_private_key(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    if (!file) die(path);
    EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
    fclose(file);
    if (!key) die(path);
    return key;
}

static void set_up(const char *dir, int mint, struct contexts *c) {
    c->leaf.bytes = read_file(dir, "leaf.der", &c->leaf.length);
    c->rsa_root.bytes = read_file(dir, "rsa-root.der", &c->rsa_root.length);
    c->crl_100k.bytes = read_file(dir, "crl-100k.der", &c->crl_100k.length);
    c->csr_key = read_private_key(dir, "csr-key.pem");

    c->chain.store = X509_STORE_new();
    X509_STORE_add_cert(c->chain.store, read_pem_certificate(dir, "root.pem"));
    c->chain.intermediates = sk_X509_new_null();
    sk_X509_push(c->chain.intermediates, read_pem_certificate(dir, "intermediate.pem"));
    const unsigned char *cursor = c->leaf.bytes;
    c->chain.leaf = d2i_X509(NULL, &cursor, c->leaf.length);
    if (!verify_chain(&c->chain)) die("the fixture chain does not verify");

    EVP_PKEY *jwt_key = read_private_key(dir, "jwt-key.pem");
    if (mint) mint_token(dir, jwt_key);
    long token_length;
    char *token = (char *)read_file(dir, "token.jwt", &token_length);
    char *dot = memrchr(token, '.', (size_t)token_length);
    if (!dot) die("token.jwt has no signature");
    c->jwt = (struct jwt_input){ jwt_key, token, (size_t)(dot - token), dot + 1,
                                 (size_t)(token + token_length - dot - 1) };
    if (!verify_jwt(&c->jwt)) die("the token does not verify");
}

struct named_operation { const char *name; operation op; void *context; };

int main(int argc, char **argv) {
    int count_mode = argc == 5 && strcmp(argv[2], "count") == 0;
    if (argc != 2 && !count_mode) {
        fprintf(stderr, "usage: openssl_bench FIXTURE_DIR [count NAME N]\n");
        return 2;
    }
    struct contexts c;
    set_up(argv[1], !count_mode, &c);
    /* The X509-SVID benchmark verifies the same chain: X509_verify_cert is OpenSSL's whole answer to it. */
    struct named_operation operations[] = {
        { "cert_parse_p256_leaf", parse_certificate, &c.leaf },
        { "cert_parse_rsa_root", parse_certificate, &c.rsa_root },
        { "csr_create_p256", create_csr, c.csr_key },
        { "chain_verify_p256_3level", verify_chain, &c.chain },
        { "svid_verify_p256_3level", verify_chain, &c.chain },
        { "jwt_svid_verify_es256", verify_jwt, &c.jwt },
        /* The whole list decoded, every entry and its extensions, as Warden's parser does. */
        { "crl_parse_100k", parse_crl, &c.crl_100k },
    };
    size_t operation_count = sizeof operations / sizeof operations[0];
    if (!count_mode) {
        for (size_t i = 0; i < operation_count; i++) {
            /* Two decimals below 100/s (the 100,000-entry CRL parses a few times a second), whole numbers above. */
            double rate = measure(operations[i].op, operations[i].context);
            printf(rate < 100 ? "%s %.2f\n" : "%s %.0f\n", operations[i].name, rate);
            fflush(stdout);
        }
        return 0;
    }
    /* Set up, then run one operation N times: under callgrind, the count at 2N minus the count at N is N operations. */
    long n = strtol(argv[4], NULL, 10);
    for (size_t i = 0; i < operation_count; i++) {
        if (strcmp(operations[i].name, argv[3]) != 0) continue;
        for (long k = 0; k < n; k++) {
            if (!operations[i].op(operations[i].context)) die("operation failed");
        }
        return 0;
    }
    fprintf(stderr, "openssl_bench: no operation named %s\n", argv[3]);
    return 2;
}
