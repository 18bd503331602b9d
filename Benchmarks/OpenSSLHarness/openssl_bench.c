/*
 * The OpenSSL side of Benchmarks/compare.sh: the same operations as Warden's benchmarks, on the same fixture
 * files, measured the same way (several rounds of a fixed duration, median ops/s reported).
 *
 *   openssl_bench FIXTURE_DIR
 *
 * prints one line per benchmark: "<name> <median ops/s>".
 */
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

/* Runs `op` for ROUNDS rounds of ROUND_SECONDS each and returns the median rate. */
static double measure(operation op, void *context) {
    double rates[ROUNDS];
    for (int warmup = 0; warmup < 100; warmup++) op(context);
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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: openssl_bench FIXTURE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];

    struct der_input leaf, rsa_root;
    leaf.bytes = read_file(dir, "leaf.der", &leaf.length);
    rsa_root.bytes = read_file(dir, "rsa-root.der", &rsa_root.length);
    printf("cert_parse_p256_leaf %.0f\n", measure(parse_certificate, &leaf));
    printf("cert_parse_rsa_root %.0f\n", measure(parse_certificate, &rsa_root));

    char path[4096];
    snprintf(path, sizeof path, "%s/csr-key.pem", dir);
    FILE *key_file = fopen(path, "r");
    if (!key_file) die(path);
    EVP_PKEY *key = PEM_read_PrivateKey(key_file, NULL, NULL, NULL);
    fclose(key_file);
    if (!key) die("csr-key.pem");
    printf("csr_create_p256 %.0f\n", measure(create_csr, key));

    struct chain_input chain;
    chain.store = X509_STORE_new();
    X509_STORE_add_cert(chain.store, read_pem_certificate(dir, "root.pem"));
    chain.intermediates = sk_X509_new_null();
    sk_X509_push(chain.intermediates, read_pem_certificate(dir, "intermediate.pem"));
    const unsigned char *cursor = leaf.bytes;
    chain.leaf = d2i_X509(NULL, &cursor, leaf.length);
    if (!verify_chain(&chain)) die("the fixture chain does not verify");
    printf("chain_verify_p256_3level %.0f\n", measure(verify_chain, &chain));
    return 0;
}
