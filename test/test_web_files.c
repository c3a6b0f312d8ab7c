/*
 * test_web_files.c: the node's set of web app files (src/node/web_files.c): what is
 * loaded (known names and extensions in the served directories, the vendor list),
 * what never is (dotfiles, other extensions, other directories, paths with ..), the
 * policy's hash of the page's import map, and a root without an app.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "node/web_files.h"
#include "store/file_io.h"
#include "test.h"

static void put(const char *root, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, name);
    REQUIRE(file_write_whole(path, text, strlen(text), 0644));
}

static void make_directory(const char *root, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, name);
    REQUIRE(mkdir(path, 0755) == 0);
}

/* The app's tree has subdirectories, which temp_dir_remove (one level) leaves. */
static int remove_entry(const char *path, const struct stat *status, int kind, struct FTW *walk) {
    (void)status;
    (void)walk;
    return kind == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *root) {
    if (nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) test_fail(__FILE__, __LINE__, "web tree not removed");
}

TEST(web_files_serves_known_files_only_with_the_import_map_hash_in_the_policy) {
    char root[TEMP_DIR_BYTES];
    temp_dir_make(root);
    static const char map[] = "{\"imports\":{\"uplot\":\"/vendor/uPlot.esm.js\"}}";
    char page[256];
    snprintf(page, sizeof page, "<!doctype html><script type=\"importmap\">%s</script><p>hi</p>", map);
    put(root, "index.html", page);
    put(root, "package.json", "{}");
    put(root, ".secret.html", "no");
    make_directory(root, "js");
    put(root, "js/app.js", "export {};");
    put(root, "js/notes.txt", "no");
    make_directory(root, "css");
    put(root, "css/app.css", "body{}");
    make_directory(root, "test");
    put(root, "test/a.test.js", "no");
    make_directory(root, "node_modules");
    make_directory(root, "node_modules/uplot");
    make_directory(root, "node_modules/uplot/dist");
    put(root, "node_modules/uplot/dist/uPlot.esm.js", "export default 1;");
    put(root, "node_modules/uplot/package.json", "{}");

    char why[256] = "", warning[512] = "";
    web_files *files = web_files_load(root, why, sizeof why, warning, sizeof warning);
    REQUIRE(files != NULL);
    /* the other vendor files are missing: a warning, not a refusal */
    CHECK(strstr(warning, "libsodium") != NULL && strstr(warning, "install-deps") != NULL);
    CHECK_EQ(web_files_count(files), 4); /* index.html, js/app.js, css/app.css, /vendor/uPlot.esm.js */

    const web_file *index = web_files_find(files, "/");
    REQUIRE(index != NULL);
    CHECK(index == web_files_find(files, "/index.html"));
    CHECK_EQ(index->length, strlen(page));
    CHECK(strcmp(index->content_type, "text/html; charset=utf-8") == 0);
    CHECK(strcmp(index->cache_control, "no-cache") == 0);
    CHECK(index->etag[0] == '"' && strlen(index->etag) == 34);
    const web_file *script = web_files_find(files, "/js/app.js");
    REQUIRE(script != NULL);
    CHECK(strcmp(script->content_type, "text/javascript; charset=utf-8") == 0);
    CHECK(strcmp(index->etag, script->etag) != 0);
    const web_file *vendor = web_files_find(files, "/vendor/uPlot.esm.js");
    REQUIRE(vendor != NULL);
    CHECK(memcmp(vendor->bytes, "export default 1;", 17) == 0);
    CHECK(strstr(vendor->cache_control, "max-age") != NULL);

    static const char *const never[] = {"/package.json", "/.secret.html", "/js/notes.txt", "/test/a.test.js",
                                        "/node_modules/uplot/package.json", "/node_modules/uplot/dist/uPlot.esm.js",
                                        "/js/../package.json", "/../index.html", "//index.html", "/index.html/",
                                        "/vendor/../index.html", "", "/js/"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        if (web_files_find(files, never[i]) != NULL) fprintf(stderr, "    served: %s\n", never[i]);
        CHECK(web_files_find(files, never[i]) == NULL);
    }

    /* the policy allows exactly the page's import map, by its SHA-256 */
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const uint8_t *)map, strlen(map));
    char base64[64], expected[160];
    sodium_bin2base64(base64, sizeof base64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    snprintf(expected, sizeof expected, "script-src 'self' 'wasm-unsafe-eval' 'sha256-%s';", base64);
    const char *policy = web_files_policy(files);
    CHECK(strstr(policy, expected) != NULL);
    CHECK(strstr(policy, "default-src 'none'") != NULL);
    CHECK(strstr(policy, "unsafe-inline") == NULL);
    web_files_free(files);
    remove_tree(root);
}

TEST(web_files_refuses_a_root_without_index_html) {
    char root[TEMP_DIR_BYTES];
    temp_dir_make(root);
    char why[256] = "";
    CHECK(web_files_load(root, why, sizeof why, NULL, 0) == NULL);
    CHECK(strstr(why, "index.html") != NULL);
    CHECK(web_files_load("/nonexistent/web", why, sizeof why, NULL, 0) == NULL);
    CHECK(web_files_find(NULL, "/") == NULL);
    CHECK_EQ(web_files_count(NULL), 0);
    temp_dir_remove(root);
}
