/*
 * web_files.c: the web app's files in memory (see web_files.h). The set is fixed at
 * start: the files of a few directories of the web root whose names and extensions
 * are known (a name of [A-Za-z0-9._-] not starting with a dot), and the vendor list.
 * So a URL never becomes a path on disk: it is looked up among the loaded names,
 * and anything else is 404, whatever dots or slashes it holds.
 */
#define _GNU_SOURCE /* asprintf */
#include "node/web_files.h"

#include <assert.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/file_io.h"

/* The directories of the web root that are served, as URL prefixes. */
static const char *const served_directories[] = {"", "js", "js/views", "css", "img"};

/* /vendor/NAME -> the file npm installed (web/package-lock.json pins each). */
static const struct {
    const char *name;
    const char *path; /* under the web root */
} vendor_files[] = {
    {"libsodium-wrappers-sumo.mjs", "node_modules/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs"},
    {"libsodium-sumo.mjs", "node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs"},
    {"uPlot.esm.js", "node_modules/uplot/dist/uPlot.esm.js"},
    {"uPlot.min.css", "node_modules/uplot/dist/uPlot.min.css"},
    {"qrcode.mjs", "node_modules/qrcode-generator/dist/qrcode.mjs"},
    /* a classic script (UMD), loaded by qrscan.js only when a member scans a code */
    {"jsQR.js", "node_modules/jsqr/dist/jsQR.js"},
};

static const struct {
    const char *extension;
    const char *content_type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},               {".png", "image/png"},
    {".ico", "image/x-icon"},                {".webmanifest", "application/manifest+json"},
};

typedef struct {
    char *url; /* "/js/app.js" */
    uint8_t *bytes; /* owned; file.bytes is the same */
    web_file file;
    char etag[40];
} entry;

struct web_files {
    entry entries[WEB_FILES_MAX];
    uint32_t count;
    char *policy;
    /* SHA-256 (base64) of each page's import map, for the policy */
    char hashes[8][64];
    uint32_t hash_count;
};

static const char *content_type_of(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
        if (strcmp(dot, content_types[i].extension) == 0) return content_types[i].content_type;
    return NULL;
}

static bool name_is_served(const char *name) {
    if (name[0] == '\0' || name[0] == '.' || strlen(name) > 100) return false;
    for (const char *c = name; *c; c++) {
        bool allowed = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                       *c == '_' || *c == '-';
        if (!allowed) return false;
    }
    return content_type_of(name) != NULL;
}

/* The inline import map of a page (<script type="importmap">...</script>): its
 * SHA-256 goes into the policy, the one inline script allowed. */
static void note_import_map(web_files *files, const uint8_t *bytes, size_t length) {
    static const char open_tag[] = "<script type=\"importmap\">", close_tag[] = "</script>";
    const char *text = (const char *)bytes;
    const char *start = memmem(text, length, open_tag, sizeof open_tag - 1);
    if (!start) return;
    start += sizeof open_tag - 1;
    const char *end = memmem(start, length - (size_t)(start - text), close_tag, sizeof close_tag - 1);
    if (!end || files->hash_count == sizeof files->hashes / sizeof files->hashes[0]) return;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const uint8_t *)start, (unsigned long long)(end - start));
    char base64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(base64, sizeof base64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    for (uint32_t i = 0; i < files->hash_count; i++)
        if (strcmp(files->hashes[i], base64) == 0) return;
    snprintf(files->hashes[files->hash_count++], sizeof files->hashes[0], "%s", base64);
}

static bool add_file(web_files *files, const char *url, const char *path, const char *content_type,
                     const char *cache_control) {
    if (files->count == WEB_FILES_MAX) return false;
    uint8_t *bytes = NULL;
    size_t length = 0;
    if (!file_read_whole(path, &bytes, &length, WEB_FILE_BYTES_MAX)) return false;
    entry *e = &files->entries[files->count];
    e->bytes = bytes;
    e->url = strdup(url);
    if (!e->url) {
        free(bytes);
        return false;
    }
    uint8_t digest[16];
    crypto_generichash(digest, sizeof digest, bytes, length, NULL, 0);
    e->etag[0] = '"';
    sodium_bin2hex(e->etag + 1, sizeof e->etag - 2, digest, sizeof digest);
    strcat(e->etag, "\"");
    e->file = (web_file){bytes, length, content_type, cache_control, e->etag};
    files->count++;
    if (strcmp(content_type, content_types[0].content_type) == 0) note_import_map(files, bytes, length);
    return true;
}

typedef struct {
    web_files *files;
    const char *root, *directory;
    bool failed;
} listing;

static void add_listed(void *context, const char *name) {
    listing *l = context;
    if (l->failed || !name_is_served(name)) return;
    char path[4096], url[256];
    snprintf(path, sizeof path, "%s/%s%s%s", l->root, l->directory, l->directory[0] ? "/" : "", name);
    snprintf(url, sizeof url, "/%s%s%s", l->directory, l->directory[0] ? "/" : "", name);
    /* the app's own files change with each release: a browser asks again each time
     * (a 304 when the ETag still matches) */
    if (!add_file(l->files, url, path, content_type_of(name), "no-cache")) l->failed = true;
}

static bool build_policy(web_files *files) {
    char scripts[600] = "";
    for (uint32_t i = 0; i < files->hash_count; i++) {
        size_t used = strlen(scripts);
        snprintf(scripts + used, sizeof scripts - used, " 'sha256-%s'", files->hashes[i]);
    }
    /* images: the node's own, and listings' pictures, which live elsewhere (a listing
     * holds a hash and an https URL, never the bytes) */
    return asprintf(&files->policy,
                    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'%s; style-src 'self'; "
                    "img-src 'self' data: https:; connect-src 'self'; manifest-src 'self'; font-src 'self'; "
                    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                    scripts) >= 0;
}

web_files *web_files_load(const char *root, char *why, size_t why_size, char *warning, size_t warning_size) {
    assert(root != NULL);
    if (warning && warning_size) warning[0] = '\0';
    web_files *files = calloc(1, sizeof *files);
    if (!files) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    char index_path[4096];
    snprintf(index_path, sizeof index_path, "%s/index.html", root);
    uint64_t size = 0;
    int fd = file_open(index_path, O_RDONLY, 0);
    bool has_index = fd >= 0 && file_stat_size(fd, &size);
    if (fd >= 0) (void)file_close(fd);
    if (!has_index) {
        snprintf(why, why_size, "no web app in %s (no index.html)", root);
        web_files_free(files);
        return NULL;
    }
    for (size_t d = 0; d < sizeof served_directories / sizeof served_directories[0]; d++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, served_directories[d]);
        listing l = {files, root, served_directories[d], false};
        (void)file_list_directory(path, add_listed, &l, WEB_FILES_MAX); /* a directory may be absent */
        if (l.failed) {
            snprintf(why, why_size, "could not read the web app's files under %s/%s (too many, too large or unreadable)",
                     root, served_directories[d]);
            web_files_free(files);
            return NULL;
        }
    }
    for (size_t v = 0; v < sizeof vendor_files / sizeof vendor_files[0]; v++) {
        char path[4096], url[256];
        snprintf(path, sizeof path, "%s/%s", root, vendor_files[v].path);
        snprintf(url, sizeof url, "/vendor/%s", vendor_files[v].name);
        /* pinned by the lockfile and not edited: a day's cache */
        if (!add_file(files, url, path, content_type_of(vendor_files[v].name), "public, max-age=86400") && warning &&
            warning_size && !warning[0])
            snprintf(warning, warning_size,
                     "the web app's libraries are not installed (%s is missing): run scripts/install-deps.sh", path);
    }
    if (!build_policy(files)) {
        snprintf(why, why_size, "out of memory");
        web_files_free(files);
        return NULL;
    }
    return files;
}

void web_files_free(web_files *files) {
    if (!files) return;
    for (uint32_t i = 0; i < files->count; i++) {
        free(files->entries[i].url);
        free(files->entries[i].bytes);
    }
    free(files->policy);
    free(files);
}

const web_file *web_files_find(const web_files *files, const char *path) {
    if (!files || !path) return NULL;
    if (strcmp(path, "/") == 0) path = "/index.html";
    for (uint32_t i = 0; i < files->count; i++)
        if (strcmp(files->entries[i].url, path) == 0) return &files->entries[i].file;
    return NULL;
}

uint32_t web_files_count(const web_files *files) { return files ? files->count : 0; }

const char *web_files_policy(const web_files *files) { return files ? files->policy : NULL; }
