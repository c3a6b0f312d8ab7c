/*
 * wallet.c: the keystore directory, key selection and passphrases (see wallet.h).
 * The terminal prompt reads /dev/tty with echo off (termios) and puts the terminal
 * back even when interrupted by Ctrl-C. Directories are created durably (their
 * parent fsynced) through the store's file layer, as key files are.
 */
#include "cli/wallet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "store/file_io.h"

#define KEY_SUFFIX ".key"

/* ------------------------------------------------------------------------ */
/* The directory.                                                            */
/* ------------------------------------------------------------------------ */

static cli_status no_home(const cli_context *ctx) {
    return cli_fail(ctx, CLI_IO, "no keystore: set TALLY_HOME (keys go in $TALLY_HOME/keys) or HOME");
}

static bool make_private_dir(const char *path) { return file_make_directory(path, 0700); }

cli_status cli_wallet_prepare(cli_context *ctx) {
    if (!ctx->keys_dir[0]) return no_home(ctx);
    char parent[CLI_PATH_MAX];
    snprintf(parent, sizeof parent, "%s", ctx->keys_dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (!make_private_dir(parent))
            return cli_fail(ctx, CLI_IO, "cannot create %s: %s", parent, strerror(errno));
    }
    if (!make_private_dir(ctx->keys_dir))
        return cli_fail(ctx, CLI_IO, "cannot create %s: %s", ctx->keys_dir, strerror(errno));
    struct stat info;
    if (stat(ctx->keys_dir, &info) != 0 || !S_ISDIR(info.st_mode))
        return cli_fail(ctx, CLI_IO, "%s is not a directory", ctx->keys_dir);
    if (info.st_mode & 077)
        fprintf(ctx->err, "tally: warning: %s is open to other users; `chmod 700 %s` is safer\n", ctx->keys_dir,
                ctx->keys_dir);
    return CLI_OK;
}

cli_status cli_wallet_key_path(const cli_context *ctx, const char *name, char *out, size_t out_size) {
    if (!ctx->keys_dir[0]) return no_home(ctx);
    if (!keystore_name_is_valid(name))
        return cli_fail(ctx, CLI_USAGE, "'%s' is not a key name (1 to 64 of A-Z a-z 0-9 . _ -)", name);
    int written = snprintf(out, out_size, "%s/%s" KEY_SUFFIX, ctx->keys_dir, name);
    if (written < 0 || (size_t)written >= out_size) return cli_fail(ctx, CLI_IO, "the keystore path is too long");
    return CLI_OK;
}

static int compare_names(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

cli_status cli_wallet_list(cli_context *ctx, cli_wallet_name *names, size_t *count) {
    *count = 0;
    if (!ctx->keys_dir[0]) return no_home(ctx);
    DIR *directory = opendir(ctx->keys_dir);
    if (!directory) {
        if (errno == ENOENT) return CLI_OK;
        return cli_fail(ctx, CLI_IO, "cannot read %s: %s", ctx->keys_dir, strerror(errno));
    }
    bool truncated = false;
    for (struct dirent *entry = readdir(directory); entry; entry = readdir(directory)) {
        size_t length = strlen(entry->d_name), suffix = strlen(KEY_SUFFIX);
        if (length <= suffix || strcmp(entry->d_name + length - suffix, KEY_SUFFIX) != 0) continue;
        if (length - suffix > KEYSTORE_NAME_MAX) continue;
        if (*count == WALLET_KEYS_MAX) {
            truncated = true;
            break;
        }
        memcpy(names[*count], entry->d_name, length - suffix);
        names[*count][length - suffix] = '\0';
        if (keystore_name_is_valid(names[*count])) (*count)++;
    }
    closedir(directory);
    if (truncated) fprintf(ctx->err, "tally: warning: only the first %u keys are listed\n", WALLET_KEYS_MAX);
    qsort(names, *count, sizeof names[0], compare_names);
    return CLI_OK;
}

cli_status cli_wallet_public_key(cli_context *ctx, const char *name, tally_key *public_key) {
    char path[CLI_PATH_MAX + 80], why[256];
    cli_status status = cli_wallet_key_path(ctx, name, path, sizeof path);
    if (status != CLI_OK) return status;
    if (access(path, F_OK) != 0)
        return cli_fail(ctx, CLI_USAGE, "no key named '%s' in %s (see `tally key list`)", name, ctx->keys_dir);
    if (!keystore_public_key(path, public_key, why, sizeof why)) return cli_fail(ctx, CLI_IO, "%s", why);
    return CLI_OK;
}

cli_status cli_wallet_selected(cli_context *ctx, cli_wallet_name name, tally_key *public_key) {
    if (ctx->key_name[0]) {
        snprintf(name, sizeof(cli_wallet_name), "%s", ctx->key_name);
        return cli_wallet_public_key(ctx, name, public_key);
    }
    cli_wallet_name *names = calloc(WALLET_KEYS_MAX, sizeof *names);
    if (!names) return cli_fail(ctx, CLI_IO, "out of memory");
    size_t count;
    cli_status status = cli_wallet_list(ctx, names, &count);
    if (status == CLI_OK && count == 0) {
        status = cli_fail(ctx, CLI_USAGE, "no key in %s: create one with `tally key new NAME`", ctx->keys_dir);
    } else if (status == CLI_OK && count > 1) {
        fprintf(ctx->err, "tally: %zu keys in %s (", count, ctx->keys_dir);
        for (size_t i = 0; i < count && i < 8; i++) fprintf(ctx->err, "%s%s", i ? ", " : "", names[i]);
        fprintf(ctx->err, "%s): choose one with --key NAME or TALLY_KEY\n", count > 8 ? ", ..." : "");
        status = CLI_USAGE;
    } else if (status == CLI_OK) {
        snprintf(name, sizeof(cli_wallet_name), "%s", names[0]);
    }
    free(names);
    if (status != CLI_OK) return status;
    return cli_wallet_public_key(ctx, name, public_key);
}

/* ------------------------------------------------------------------------ */
/* Passphrases.                                                              */
/* ------------------------------------------------------------------------ */

static int tty_fd = -1;
static struct termios tty_saved;
static struct sigaction saved_int, saved_term;

static void restore_terminal(void) {
    if (tty_fd >= 0) tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
}

static void on_interrupt(int signal_number) {
    restore_terminal();
    /* The default action of the signal, now that the terminal echoes again. */
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigaction(signal_number, &fallback, NULL);
    raise(signal_number);
}

bool cli_wallet_read_hidden(const char *prompt, char *out, size_t out_size) {
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) return false;
    struct termios quiet;
    if (tcgetattr(fd, &tty_saved) != 0) {
        close(fd);
        return false;
    }
    tty_fd = fd;
    struct sigaction handler;
    memset(&handler, 0, sizeof handler);
    handler.sa_handler = on_interrupt;
    sigaction(SIGINT, &handler, &saved_int);
    sigaction(SIGTERM, &handler, &saved_term);
    quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    bool ok = tcsetattr(fd, TCSAFLUSH, &quiet) == 0 && write(fd, prompt, strlen(prompt)) >= 0;
    size_t length = 0;
    while (ok) {
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0 || c == '\n' || c == '\r') {
            ok = got > 0 || length > 0;
            break;
        }
        if (length + 1 < out_size) out[length++] = c;
    }
    out[length] = '\0';
    restore_terminal();
    sigaction(SIGINT, &saved_int, NULL);
    sigaction(SIGTERM, &saved_term, NULL);
    tty_fd = -1;
    if (write(fd, "\n", 1) < 0) {
        /* the newline after the hidden input is cosmetic */
    }
    close(fd);
    return ok;
}

cli_status cli_wallet_passphrase(cli_context *ctx, bool confirm, char *out, size_t out_size) {
    if (ctx->passphrase) {
        if (strlen(ctx->passphrase) >= out_size) return cli_fail(ctx, CLI_USAGE, "the passphrase is too long");
        snprintf(out, out_size, "%s", ctx->passphrase);
        return CLI_OK;
    }
    if (!cli_wallet_read_hidden(confirm ? "new passphrase (8 characters or more): " : "passphrase: ", out, out_size))
        return cli_fail(ctx, CLI_USAGE, "no terminal to ask the passphrase on: set TALLY_PASSPHRASE");
    if (!confirm) return CLI_OK;
    char again[CLI_PASSPHRASE_MAX];
    bool same = cli_wallet_read_hidden("the same passphrase again: ", again, sizeof again) && strcmp(again, out) == 0;
    sodium_memzero(again, sizeof again);
    if (!same) {
        sodium_memzero(out, out_size);
        return cli_fail(ctx, CLI_USAGE, "the two passphrases differ; nothing was stored");
    }
    return CLI_OK;
}

/* Said on every use of a weak key file (see keystore.h), so it cannot go unnoticed. */
static void warn_weak(const cli_context *ctx, const char *name) {
    fprintf(ctx->err,
            "tally: warning: key '%s' is sealed with weak test parameters (TALLY_KDF=test): whoever copies "
            "%s/%s" KEY_SUFFIX " can guess its passphrase quickly; move its funds to a key made without it\n",
            name, ctx->keys_dir, name);
}

cli_status cli_wallet_unlock(cli_context *ctx, const char *name, keystore_keypair *pair) {
    char path[CLI_PATH_MAX + 80], why[256], passphrase[CLI_PASSPHRASE_MAX];
    cli_status status = cli_wallet_key_path(ctx, name, path, sizeof path);
    if (status != CLI_OK) return status;
    status = cli_wallet_passphrase(ctx, false, passphrase, sizeof passphrase);
    if (status != CLI_OK) return status;
    bool opened = keystore_load(path, passphrase, pair, why, sizeof why);
    sodium_memzero(passphrase, sizeof passphrase);
    if (!opened) return cli_fail(ctx, CLI_USAGE, "cannot open key '%s': %s", name, why);
    if (keystore_is_weak(path)) warn_weak(ctx, name);
    return CLI_OK;
}

cli_status cli_wallet_store(cli_context *ctx, const char *name, const keystore_keypair *pair) {
    char path[CLI_PATH_MAX + 80], why[256], passphrase[CLI_PASSPHRASE_MAX];
    cli_status status = cli_wallet_key_path(ctx, name, path, sizeof path);
    if (status == CLI_OK) status = cli_wallet_prepare(ctx);
    if (status != CLI_OK) return status;
    if (access(path, F_OK) == 0) {
        /* A file a crash or a power cut left half written holds no key (its save
         * never reported it stored): say so, not that the key exists. */
        tally_key existing;
        if (!keystore_public_key(path, &existing, why, sizeof why))
            return cli_fail(ctx, CLI_USAGE,
                            "%s holds no usable key (%s): a save that did not finish, or damage; remove it to store "
                            "key '%s' again",
                            path, why, name);
        return cli_fail(ctx, CLI_USAGE, "a key named '%s' exists already in %s", name, ctx->keys_dir);
    }
    if (ctx->kdf_refusal) return cli_fail(ctx, CLI_USAGE, "not storing key '%s': %s", name, ctx->kdf_refusal);
    status = cli_wallet_passphrase(ctx, true, passphrase, sizeof passphrase);
    if (status != CLI_OK) return status;
    bool saved = keystore_save(path, name, pair, passphrase, ctx->strength, why, sizeof why);
    sodium_memzero(passphrase, sizeof passphrase);
    if (!saved) return cli_fail(ctx, strstr(why, "passphrase") ? CLI_USAGE : CLI_IO, "cannot store key '%s': %s", name, why);
    if (ctx->strength == KEYSTORE_STRENGTH_TEST) warn_weak(ctx, name);
    return CLI_OK;
}
