/*
 * power_loss.c: the power-loss model of the file layer, test builds only (see
 * power_loss.h). Files are known by their inode, so a write through any descriptor
 * and a rename are followed; directories by their real path, so "data" and
 * "/tmp/x/data" are one. The model's memory is what was not synced yet: the bytes a
 * file's unsynced writes overwrote, a copy of those writes, and the unsynced
 * changes of names with a copy of any file a rename or unlink took away.
 */
#define _XOPEN_SOURCE 700 /* PTHREAD_MUTEX_RECURSIVE, realpath */
#include "store/power_loss.h"

#ifdef TALLY_FAULT_INJECTION

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The unit of saving what a write overwrote (a torn write may end at any byte). */
#define SECTOR_BYTES 512u
/* A file a rename or unlink takes away is copied whole to bring it back; the tests'
 * files are far smaller. */
#define STASH_BYTES_MAX ((size_t)256 << 20)

typedef struct {
    uint64_t seq;
    bool is_truncate; /* a truncate to `offset` bytes; else a write of bytes at offset */
    uint64_t offset;
    size_t length;
    uint8_t *bytes;
} unsynced_write;

typedef struct {
    uint64_t index; /* the sector: bytes index * SECTOR_BYTES on */
    uint32_t length; /* less than a sector at the durable end of the file */
    uint8_t bytes[SECTOR_BYTES];
} saved_sector;

typedef struct {
    dev_t device;
    ino_t inode;
    char *path; /* its name now */
    uint64_t durable_size;
    saved_sector *saved; /* sorted by index */
    size_t saved_count, saved_capacity;
    unsynced_write *writes; /* in order */
    size_t write_count, write_capacity;
} tracked_file;

typedef enum { NAME_CREATE, NAME_RENAME, NAME_UNLINK, NAME_MKDIR } name_change_kind;

typedef struct {
    uint64_t seq;
    name_change_kind kind;
    char *directory; /* real path of the directory whose fsync makes it durable */
    char *path;      /* created, removed or renamed to */
    char *from;      /* renamed from */
    uint8_t *stash;  /* the file the name held before (rename over it, unlink) */
    size_t stash_length;
    bool has_stash;
    unsigned stash_mode;
} name_change;

static struct {
    bool armed;
    power_loss_plan plan;
    pthread_mutex_t lock;
    uint64_t operations; /* reported so far */
    bool serving;
    uint64_t phase_operations; /* reported in this phase (starting, serving) */
    tracked_file *files;
    size_t file_count, file_capacity;
    name_change *changes;
    size_t change_count, change_capacity;
} model;

static volatile sig_atomic_t cut_requested;

static const char *const op_names[] = {"open", "write", "truncate", "fsync", "directory-fsync",
                                       "create", "rename", "unlink", "mkdir"};

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The model cannot go on without memory: a test build stops loudly. */
static void *must(void *pointer) {
    if (pointer == NULL) {
        fprintf(stderr, "power-loss model: out of memory\n");
        abort();
    }
    return pointer;
}

static void grow(void **items, size_t *capacity, size_t count, size_t item_size) {
    if (count < *capacity) return;
    size_t wanted = *capacity ? 2 * *capacity : 16;
    *items = must(realloc(*items, wanted * item_size));
    *capacity = wanted;
}

static char *copy_text(const char *text) { return must(strdup(text)); }

bool power_loss_arm(const power_loss_plan *plan) {
    assert(plan != NULL);
    if (model.armed) return false;
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&model.lock, &attributes);
    pthread_mutexattr_destroy(&attributes);
    model.plan = *plan;
    model.armed = true;
    return true;
}

bool power_loss_armed(void) { return model.armed; }

void power_loss_cut_soon(void) { cut_requested = 1; }

void power_loss_serving(void) {
    if (!model.armed) return;
    pthread_mutex_lock(&model.lock);
    model.serving = true;
    model.phase_operations = 0;
    pthread_mutex_unlock(&model.lock);
}

/* ------------------------------------------------------------------------ */
/* Paths.                                                                    */
/* ------------------------------------------------------------------------ */

/* The real path of a directory (as given when it is gone). */
static char *directory_key(const char *directory) {
    char resolved[PATH_MAX];
    if (realpath(directory, resolved) != NULL) return copy_text(resolved);
    return copy_text(directory);
}

static char *parent_key(const char *path) {
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    size_t length = strlen(parent);
    while (length > 1 && parent[length - 1] == '/') parent[--length] = '\0';
    char *slash = strrchr(parent, '/');
    if (slash == NULL) return directory_key(".");
    if (slash == parent) slash[1] = '\0';
    else *slash = '\0';
    return directory_key(parent);
}

/* ------------------------------------------------------------------------ */
/* Files.                                                                    */
/* ------------------------------------------------------------------------ */

static void release_file(tracked_file *file) {
    free(file->path);
    free(file->saved);
    for (size_t i = 0; i < file->write_count; i++) free(file->writes[i].bytes);
    free(file->writes);
    memset(file, 0, sizeof *file);
}

static void forget_file(size_t at) {
    release_file(&model.files[at]);
    model.files[at] = model.files[--model.file_count];
}

static tracked_file *find_inode(dev_t device, ino_t inode) {
    for (size_t i = 0; i < model.file_count; i++)
        if (model.files[i].device == device && model.files[i].inode == inode) return &model.files[i];
    return NULL;
}

static tracked_file *find_path(const char *path, size_t *at) {
    for (size_t i = 0; i < model.file_count; i++)
        if (model.files[i].path && strcmp(model.files[i].path, path) == 0) {
            if (at) *at = i;
            return &model.files[i];
        }
    return NULL;
}

/* The file behind fd, tracked from now on if it was not (its bytes on disk so far
 * count as durable). NULL when fd is not a regular file. */
static tracked_file *file_of(int fd, const char *path) {
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return NULL;
    tracked_file *file = find_inode(status.st_dev, status.st_ino);
    if (file) return file;
    grow((void **)&model.files, &model.file_capacity, model.file_count, sizeof *model.files);
    file = &model.files[model.file_count++];
    memset(file, 0, sizeof *file);
    file->device = status.st_dev;
    file->inode = status.st_ino;
    file->durable_size = (uint64_t)status.st_size;
    if (path) {
        file->path = copy_text(path);
    } else {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t length = readlink(link, target, sizeof target - 1);
        target[length > 0 ? length : 0] = '\0';
        if (length > 0 && strstr(target, " (deleted)") == NULL) file->path = copy_text(target);
    }
    return file;
}

static saved_sector *saved_find(tracked_file *file, uint64_t index, size_t *insert_at) {
    size_t low = 0, high = file->saved_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (file->saved[middle].index < index) low = middle + 1;
        else high = middle;
    }
    *insert_at = low;
    return low < file->saved_count && file->saved[low].index == index ? &file->saved[low] : NULL;
}

/* Saves the durable bytes of [from, to) that no unsynced write changed yet. */
static void save_durable_range(tracked_file *file, int fd, uint64_t from, uint64_t to) {
    if (to > file->durable_size) to = file->durable_size;
    if (from >= to) return;
    for (uint64_t index = from / SECTOR_BYTES; index <= (to - 1) / SECTOR_BYTES; index++) {
        size_t at;
        if (saved_find(file, index, &at)) continue;
        grow((void **)&file->saved, &file->saved_capacity, file->saved_count, sizeof *file->saved);
        memmove(&file->saved[at + 1], &file->saved[at], (file->saved_count - at) * sizeof *file->saved);
        file->saved_count++;
        saved_sector *sector = &file->saved[at];
        uint64_t start = index * SECTOR_BYTES;
        uint64_t length = file->durable_size - start < SECTOR_BYTES ? file->durable_size - start : SECTOR_BYTES;
        sector->index = index;
        ssize_t got = pread(fd, sector->bytes, (size_t)length, (off_t)start);
        /* A descriptor opened write-only cannot be read: read by name. */
        if (got < 0 && errno == EBADF && file->path) {
            int reader = open(file->path, O_RDONLY | O_CLOEXEC);
            got = reader >= 0 ? pread(reader, sector->bytes, (size_t)length, (off_t)start) : -1;
            if (reader >= 0) close(reader);
        }
        if (got < 0) {
            fprintf(stderr, "power-loss model: cannot read what a write overwrites: %s\n", strerror(errno));
            abort();
        }
        /* Bytes past the file's end (shrunk by an earlier unsynced truncate) read as
         * nothing; they were saved before that truncate. */
        memset(sector->bytes + got, 0, SECTOR_BYTES - (size_t)got);
        sector->length = (uint32_t)length;
    }
}

static unsynced_write *add_write(tracked_file *file) {
    grow((void **)&file->writes, &file->write_capacity, file->write_count, sizeof *file->writes);
    unsynced_write *write_record = &file->writes[file->write_count++];
    memset(write_record, 0, sizeof *write_record);
    write_record->seq = model.operations;
    return write_record;
}

static void note_open_locked(int fd, const char *path, bool created) {
    if (!model.armed || fd < 0) return;
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return;
    tracked_file *file = find_inode(status.st_dev, status.st_ino);
    if (created && file) { /* an inode number used again */
        forget_file((size_t)(file - model.files));
        file = NULL;
    }
    file = file_of(fd, path);
    if (file && path) {
        free(file->path);
        file->path = copy_text(path);
    }
    if (created) {
        if (file) file->durable_size = 0;
        grow((void **)&model.changes, &model.change_capacity, model.change_count, sizeof *model.changes);
        name_change *change = &model.changes[model.change_count++];
        memset(change, 0, sizeof *change);
        change->seq = model.operations;
        change->kind = NAME_CREATE;
        change->directory = parent_key(path);
        change->path = copy_text(path);
    }
}

static void note_write_locked(int fd, const void *bytes, size_t length, uint64_t offset) {
    if (!model.armed || length == 0) return;
    tracked_file *file = file_of(fd, NULL);
    if (!file) return;
    save_durable_range(file, fd, offset, offset + length);
    unsynced_write *write_record = add_write(file);
    write_record->offset = offset;
    write_record->length = length;
    write_record->bytes = must(malloc(length));
    memcpy(write_record->bytes, bytes, length);
}

static void note_truncate_locked(int fd, uint64_t length) {
    if (!model.armed) return;
    tracked_file *file = file_of(fd, NULL);
    if (!file) return;
    save_durable_range(file, fd, length, file->durable_size);
    unsynced_write *write_record = add_write(file);
    write_record->is_truncate = true;
    write_record->offset = length;
}

static void note_sync_locked(int fd) {
    if (!model.armed) return;
    struct stat status;
    if (fstat(fd, &status) != 0) return;
    if (S_ISDIR(status.st_mode)) return; /* power_loss_note_sync_directory does those */
    tracked_file *file = find_inode(status.st_dev, status.st_ino);
    if (!file) return;
    for (size_t i = 0; i < file->write_count; i++) free(file->writes[i].bytes);
    file->write_count = 0;
    file->saved_count = 0;
    file->durable_size = (uint64_t)status.st_size;
}

/* ------------------------------------------------------------------------ */
/* Names.                                                                    */
/* ------------------------------------------------------------------------ */

static void release_change(name_change *change) {
    free(change->directory);
    free(change->path);
    free(change->from);
    free(change->stash);
}

static void note_sync_directory_locked(const char *directory) {
    if (!model.armed) return;
    char *key = directory_key(directory);
    size_t kept = 0;
    for (size_t i = 0; i < model.change_count; i++) {
        if (strcmp(model.changes[i].directory, key) == 0) release_change(&model.changes[i]);
        else model.changes[kept++] = model.changes[i];
    }
    model.change_count = kept;
    free(key);
}

/* Copies the regular file at path into change's stash (when there is one). */
static void stash_file(name_change *change, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || (size_t)status.st_size > STASH_BYTES_MAX) {
        close(fd);
        return;
    }
    size_t length = (size_t)status.st_size;
    change->stash = must(malloc(length ? length : 1));
    size_t done = 0;
    while (done < length) {
        ssize_t got = pread(fd, change->stash + done, length - done, (off_t)done);
        if (got <= 0) break;
        done += (size_t)got;
    }
    close(fd);
    change->stash_length = done;
    change->stash_mode = (unsigned)(status.st_mode & 07777);
    change->has_stash = true;
}

static name_change *add_change(name_change_kind kind, const char *path) {
    grow((void **)&model.changes, &model.change_capacity, model.change_count, sizeof *model.changes);
    name_change *change = &model.changes[model.change_count++];
    memset(change, 0, sizeof *change);
    change->seq = model.operations;
    change->kind = kind;
    change->directory = parent_key(path);
    change->path = copy_text(path);
    return change;
}

static void note_rename_locked(const char *from, const char *to) {
    if (!model.armed) return;
    name_change *change = add_change(NAME_RENAME, to);
    change->from = copy_text(from);
    stash_file(change, to);
    size_t at;
    if (find_path(to, &at)) forget_file(at); /* the file the name held is gone */
    tracked_file *moved = find_path(from, NULL);
    if (moved) {
        free(moved->path);
        moved->path = copy_text(to);
    }
}

static void note_unlink_locked(const char *path) {
    if (!model.armed) return;
    struct stat status;
    if (lstat(path, &status) != 0) return; /* nothing to remove: nothing changes */
    name_change *change = add_change(NAME_UNLINK, path);
    stash_file(change, path);
    size_t at;
    if (find_path(path, &at)) forget_file(at);
}

static void note_mkdir_locked(const char *path) {
    if (!model.armed) return;
    add_change(NAME_MKDIR, path);
}

/* ------------------------------------------------------------------------ */
/* The notes, each under the (recursive) lock.                               */
/* ------------------------------------------------------------------------ */

#define UNDER_LOCK(call)                       \
    do {                                       \
        if (!model.armed) return;              \
        pthread_mutex_lock(&model.lock);       \
        call;                                  \
        pthread_mutex_unlock(&model.lock);     \
    } while (0)

void power_loss_note_open(int fd, const char *path, bool created) { UNDER_LOCK(note_open_locked(fd, path, created)); }
void power_loss_note_write(int fd, const void *bytes, size_t length, uint64_t offset) {
    UNDER_LOCK(note_write_locked(fd, bytes, length, offset));
}
void power_loss_note_truncate(int fd, uint64_t length) { UNDER_LOCK(note_truncate_locked(fd, length)); }
void power_loss_note_sync(int fd) { UNDER_LOCK(note_sync_locked(fd)); }
void power_loss_note_sync_directory(const char *directory) { UNDER_LOCK(note_sync_directory_locked(directory)); }
void power_loss_note_rename(const char *from, const char *to) { UNDER_LOCK(note_rename_locked(from, to)); }
void power_loss_note_unlink(const char *path) { UNDER_LOCK(note_unlink_locked(path)); }
void power_loss_note_mkdir(const char *path) { UNDER_LOCK(note_mkdir_locked(path)); }

/* ------------------------------------------------------------------------ */
/* The cut.                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum { KEEP_NOTHING, KEEP_EVERYTHING, KEEP_PREFIX, KEEP_SUBSET } keep_mode;
static const char *const mode_names[] = {"nothing unsynced", "everything", "a prefix", "a subset"};

typedef struct {
    size_t writes_kept, writes_torn, writes_lost;
    size_t names_kept, names_undone;
} cut_figures;

static void write_back(int fd, const uint8_t *bytes, size_t length, uint64_t offset) {
    size_t done = 0;
    while (done < length) {
        ssize_t wrote = pwrite(fd, bytes + done, length - done, (off_t)(offset + done));
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) {
            fprintf(stderr, "power-loss model: cannot write the kept image: %s\n", strerror(errno));
            _exit(POWER_CUT_EXIT + 1);
        }
        done += (size_t)wrote;
    }
}

/* Rewrites one file to its durable bytes plus the unsynced writes the disk kept. */
static void keep_file(const tracked_file *file, keep_mode mode, uint64_t *random, cut_figures *figures) {
    if (mode == KEEP_EVERYTHING) {
        figures->writes_kept += file->write_count;
        return;
    }
    if (file->write_count == 0 && file->saved_count == 0) return;
    int fd = open(file->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return; /* its name is gone; so are its bytes */
    if (ftruncate(fd, (off_t)file->durable_size) != 0) _exit(POWER_CUT_EXIT + 1);
    for (size_t i = 0; i < file->saved_count; i++)
        write_back(fd, file->saved[i].bytes, file->saved[i].length, file->saved[i].index * SECTOR_BYTES);
    size_t prefix = mode == KEEP_PREFIX ? (size_t)(splitmix64(random) % (file->write_count + 1)) : 0;
    bool tear_next = splitmix64(random) & 1;
    for (size_t i = 0; i < file->write_count; i++) {
        const unsynced_write *w = &file->writes[i];
        /* 0 lost, 1 kept, 2 torn */
        int fate = 0;
        if (mode == KEEP_PREFIX) fate = i < prefix ? 1 : (i == prefix && tear_next ? 2 : 0);
        else if (mode == KEEP_SUBSET) fate = (int)(splitmix64(random) % 3);
        if (fate == 0) {
            figures->writes_lost++;
            continue;
        }
        if (w->is_truncate) {
            if (ftruncate(fd, (off_t)w->offset) != 0) _exit(POWER_CUT_EXIT + 1);
            figures->writes_kept++;
            continue;
        }
        size_t length = fate == 1 ? w->length : (size_t)(splitmix64(random) % w->length);
        write_back(fd, w->bytes, length, w->offset);
        if (fate == 1) figures->writes_kept++;
        else figures->writes_torn++;
    }
    close(fd);
}

static void remove_tree(const char *path) {
    DIR *directory = opendir(path);
    if (directory) {
        struct dirent *entry;
        while ((entry = readdir(directory)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
            char child[PATH_MAX];
            snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
            struct stat status;
            if (lstat(child, &status) == 0 && S_ISDIR(status.st_mode)) remove_tree(child);
            else unlink(child);
        }
        closedir(directory);
    }
    rmdir(path);
}

static void bring_back(const name_change *change, const char *path) {
    if (!change->has_stash) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)change->stash_mode);
    if (fd < 0) return;
    write_back(fd, change->stash, change->stash_length, 0);
    close(fd);
}

static void undo_change(const name_change *change) {
    switch (change->kind) {
    case NAME_CREATE: unlink(change->path); break;
    case NAME_MKDIR: remove_tree(change->path); break;
    case NAME_UNLINK: bring_back(change, change->path); break;
    case NAME_RENAME:
        rename(change->path, change->from);
        bring_back(change, change->path);
        break;
    }
}

/* Which unsynced changes of names the disk kept: a prefix of each directory's. */
static void keep_names(keep_mode mode, uint64_t *random, cut_figures *figures) {
    if (mode == KEEP_EVERYTHING) {
        figures->names_kept = model.change_count;
        return;
    }
    bool *kept = must(calloc(model.change_count + 1, sizeof *kept));
    for (size_t i = 0; i < model.change_count; i++) {
        bool first_of_directory = true;
        for (size_t j = 0; j < i; j++)
            if (strcmp(model.changes[j].directory, model.changes[i].directory) == 0) first_of_directory = false;
        if (!first_of_directory) continue;
        size_t in_directory = 0;
        for (size_t j = i; j < model.change_count; j++)
            in_directory += strcmp(model.changes[j].directory, model.changes[i].directory) == 0;
        size_t keep = mode == KEEP_NOTHING ? 0 : (size_t)(splitmix64(random) % (in_directory + 1));
        for (size_t j = i, seen = 0; j < model.change_count && seen < keep; j++)
            if (strcmp(model.changes[j].directory, model.changes[i].directory) == 0) kept[j] = true, seen++;
    }
    for (size_t i = model.change_count; i-- > 0;) {
        if (kept[i]) {
            figures->names_kept++;
        } else {
            undo_change(&model.changes[i]);
            figures->names_undone++;
        }
    }
    free(kept);
}

static void report(power_op op, const char *path, int fd, keep_mode mode, const cut_figures *figures) {
    if (!model.plan.report_path[0]) return;
    char target[PATH_MAX];
    if (!path && fd >= 0) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t length = readlink(link, target, sizeof target - 1);
        target[length > 0 ? length : 0] = '\0';
        if (length > 0) path = target;
    }
    FILE *out = fopen(model.plan.report_path, "a");
    if (!out) return;
    const char *slash = path ? strrchr(path, '/') : NULL;
    fprintf(out, "cut phase=%s operation=%llu op=%s file=%s kept=\"%s\" writes_kept=%zu writes_torn=%zu writes_lost=%zu "
                 "names_kept=%zu names_undone=%zu\n",
            model.serving ? "serving" : "start", (unsigned long long)model.phase_operations, op_names[op], slash ? slash + 1 : (path ? path : "-"),
            mode_names[mode], figures->writes_kept, figures->writes_torn, figures->writes_lost, figures->names_kept,
            figures->names_undone);
    fclose(out);
}

/* The power fails: the disk keeps what it must and what the seed lets it; the
 * process ends with the lock held. */
static void cut(power_op op, const char *path, int fd) {
    uint64_t random = model.plan.seed ^ (model.operations * 0x9e3779b97f4a7c15u);
    keep_mode mode = (keep_mode)(splitmix64(&random) % 4);
    cut_figures figures = {0};
    /* Contents first, by the names they have now; then the names are undone, newest
     * first, which moves or removes those contents with them. */
    for (size_t i = 0; i < model.file_count; i++)
        if (model.files[i].path) keep_file(&model.files[i], mode, &random, &figures);
    keep_names(mode, &random, &figures);
    report(op, path, fd, mode, &figures);
    _exit(POWER_CUT_EXIT);
}

void power_loss_begin(power_op op, const char *path, int fd) {
    if (!model.armed) return;
    pthread_mutex_lock(&model.lock);
    model.operations++;
    static char target[PATH_MAX]; /* under the lock; read by the report after the block */
    if (model.plan.cut_file[0] && !cut_requested) {
        if (!path && fd >= 0) {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t length = readlink(link, target, sizeof target - 1);
            target[length > 0 ? length : 0] = '\0';
            path = target;
        }
        if (!path || strstr(path, model.plan.cut_file) == NULL) return; /* not aimed at: not counted */
    }
    model.phase_operations++;
    uint64_t cut_at = model.serving ? model.plan.cut_at : model.plan.start_cut_at;
    if (model.phase_operations == cut_at || cut_requested) cut(op, path, fd);
}

void power_loss_done(void) {
    if (model.armed) pthread_mutex_unlock(&model.lock);
}

#else
/* The release build has no power-loss model. */
typedef int power_loss_not_built;
#endif
