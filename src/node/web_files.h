/*
 * web_files.h: the web app's files (web/: HTML, CSS and JavaScript modules, no build
 * step), read once when the node starts and served from memory at `/` beside the
 * API. The pages load their libraries (libsodium, uPlot) from /vendor/, which maps a
 * fixed list of names to files that npm installed under web/node_modules from the
 * lockfile; nothing else under node_modules, and nothing outside the web root, is
 * ever served.
 *
 * Every file is answered with its type, an ETag (a hash of its bytes: a browser
 * revalidates and gets 304 without the body), and the same headers of defence: a
 * strict Content-Security-Policy (scripts only from this node, no inline script but
 * the pages' import maps, allowed by their SHA-256, which is computed here from the
 * pages themselves; WebAssembly allowed for libsodium), nosniff, no referrer, no
 * framing.
 */
#ifndef TALLY_NODE_WEB_FILES_H
#define TALLY_NODE_WEB_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most files of the app, and the most bytes of one (the largest is libsodium's
 * WebAssembly module, 0.4 MB). */
#define WEB_FILES_MAX 256u
#define WEB_FILE_BYTES_MAX (16u << 20)

typedef struct web_files web_files;

typedef struct {
    const uint8_t *bytes;
    size_t length;
    const char *content_type;
    const char *cache_control;
    const char *etag; /* with its quotes */
} web_file;

/* Reads the app under root (root/index.html is required). Vendor files that are
 * missing (npm ci not run) are left out with a sentence in warning (may be NULL),
 * and the app is still served. NULL with a reason in why when root holds no app. */
web_files *web_files_load(const char *root, char *why, size_t why_size, char *warning, size_t warning_size);
void web_files_free(web_files *files);

/* The file served at url path ("/" is /index.html); NULL when there is none. */
const web_file *web_files_find(const web_files *files, const char *path);
/* Files loaded, and the Content-Security-Policy sent with each. */
uint32_t web_files_count(const web_files *files);
const char *web_files_policy(const web_files *files);

#endif
