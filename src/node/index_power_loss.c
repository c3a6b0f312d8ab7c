/*
 * index_power_loss.c: the query index's SQLite files under the power-loss model of
 * the file layer (store/power_loss.h), test builds only. SQLite does its own file
 * I/O through a VFS, not through store/file_io.c; this VFS wraps the default one
 * ("unix") and reports each write, truncate, fsync, creation and deletion of the
 * database, its WAL and its journals to the model before passing the call on, so a
 * power cut takes from the index what a real disk would.
 *
 * The unix VFS also fsyncs the directory after the first fsync of a WAL or journal
 * it created, and after deleting a file when asked; the model is told so. It does
 * not do so after creating the database file itself: the node does (index.c).
 * The shared-memory file (-shm) is not reported: SQLite rebuilds it from the WAL
 * when the first connection opens the database.
 *
 * It also gives the index the file faults' full disk: while
 * file_faults_disk_full_now() holds, every write is refused SQLITE_FULL (tallyd
 * installs it whenever TALLY_FAULTS is set).
 */
#include "node/index_power_loss.h"

#ifdef TALLY_FAULT_INJECTION

#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/file_io.h"
#include "store/power_loss.h"

typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* the unix VFS's file, in the same allocation after this */
    int track_fd;       /* a read-only descriptor the model reads the file by; -1: not reported */
    bool sync_directory_on_sync;
    char path[PATH_MAX];
} reported_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs reporting_vfs;

static void parent_of(const char *path, char *parent, size_t size) {
    snprintf(parent, size, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash == NULL) snprintf(parent, size, ".");
    else if (slash == parent) slash[1] = '\0';
    else *slash = '\0';
}

static sqlite3_file *real_of(sqlite3_file *file) { return ((reported_file *)file)->real; }

static int reported_close(sqlite3_file *file) {
    reported_file *f = (reported_file *)file;
    int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    if (f->track_fd >= 0) close(f->track_fd);
    f->track_fd = -1;
    return rc;
}

static int reported_read(sqlite3_file *file, void *bytes, int amount, sqlite3_int64 offset) {
    return real_of(file)->pMethods->xRead(real_of(file), bytes, amount, offset);
}

static int reported_write(sqlite3_file *file, const void *bytes, int amount, sqlite3_int64 offset) {
    reported_file *f = (reported_file *)file;
    /* A disk the file faults filled up (TALLY_FAULTS=disk_full_after_bytes) is full
     * for the index too. */
    if (file_faults_disk_full_now()) return SQLITE_FULL;
    if (f->track_fd < 0) return f->real->pMethods->xWrite(f->real, bytes, amount, offset);
    power_loss_begin(POWER_OP_WRITE, f->path, -1);
    power_loss_note_write(f->track_fd, bytes, (size_t)amount, (uint64_t)offset);
    int rc = f->real->pMethods->xWrite(f->real, bytes, amount, offset);
    power_loss_done();
    return rc;
}

static int reported_truncate(sqlite3_file *file, sqlite3_int64 size) {
    reported_file *f = (reported_file *)file;
    if (f->track_fd < 0) return f->real->pMethods->xTruncate(f->real, size);
    power_loss_begin(POWER_OP_TRUNCATE, f->path, -1);
    power_loss_note_truncate(f->track_fd, (uint64_t)size);
    int rc = f->real->pMethods->xTruncate(f->real, size);
    power_loss_done();
    return rc;
}

static int reported_sync(sqlite3_file *file, int flags) {
    reported_file *f = (reported_file *)file;
    if (f->track_fd < 0) return f->real->pMethods->xSync(f->real, flags);
    power_loss_begin(POWER_OP_SYNC, f->path, -1);
    int rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK) {
        power_loss_note_sync(f->track_fd);
        if (f->sync_directory_on_sync) {
            char parent[PATH_MAX];
            parent_of(f->path, parent, sizeof parent);
            power_loss_note_sync_directory(parent);
            f->sync_directory_on_sync = false;
        }
    }
    power_loss_done();
    return rc;
}

static int reported_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    return real_of(file)->pMethods->xFileSize(real_of(file), size);
}
static int reported_lock(sqlite3_file *file, int level) { return real_of(file)->pMethods->xLock(real_of(file), level); }
static int reported_unlock(sqlite3_file *file, int level) {
    return real_of(file)->pMethods->xUnlock(real_of(file), level);
}
static int reported_check_reserved(sqlite3_file *file, int *out) {
    return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}
static int reported_file_control(sqlite3_file *file, int op, void *argument) {
    return real_of(file)->pMethods->xFileControl(real_of(file), op, argument);
}
static int reported_sector_size(sqlite3_file *file) { return real_of(file)->pMethods->xSectorSize(real_of(file)); }
static int reported_device_characteristics(sqlite3_file *file) {
    return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}
static int reported_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}
static int reported_shm_lock(sqlite3_file *file, int offset, int n, int flags) {
    return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
static void reported_shm_barrier(sqlite3_file *file) { real_of(file)->pMethods->xShmBarrier(real_of(file)); }
static int reported_shm_unmap(sqlite3_file *file, int delete_flag) {
    return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}

/* Version 2: shared memory for WAL, but no memory-mapped I/O (version 3), so every
 * write to the files goes through xWrite. */
static const sqlite3_io_methods reported_methods = {
    2,
    reported_close,
    reported_read,
    reported_write,
    reported_truncate,
    reported_sync,
    reported_file_size,
    reported_lock,
    reported_unlock,
    reported_check_reserved,
    reported_file_control,
    reported_sector_size,
    reported_device_characteristics,
    reported_shm_map,
    reported_shm_lock,
    reported_shm_barrier,
    reported_shm_unmap,
    NULL,
    NULL,
};

static int reported_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags) {
    (void)vfs;
    reported_file *f = (reported_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(void *)((char *)file + sizeof(reported_file));
    f->track_fd = -1;
    bool reported = name != NULL && (flags & SQLITE_OPEN_READWRITE) != 0 && (flags & SQLITE_OPEN_DELETEONCLOSE) == 0 &&
                    strlen(name) < sizeof f->path;
    bool existed = reported && access(name, F_OK) == 0;
    if (reported) {
        snprintf(f->path, sizeof f->path, "%s", name);
        power_loss_begin(existed || !(flags & SQLITE_OPEN_CREATE) ? POWER_OP_OPEN : POWER_OP_CREATE, name, -1);
    }
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc == SQLITE_OK && f->real->pMethods) {
        f->base.pMethods = &reported_methods;
        if (reported) {
            f->track_fd = open(name, O_RDONLY | O_CLOEXEC);
            power_loss_note_open(f->track_fd, name, !existed);
            f->sync_directory_on_sync = (flags & SQLITE_OPEN_CREATE) != 0 &&
                                        (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0;
        }
    } else {
        f->base.pMethods = NULL; /* SQLite then does not close it */
    }
    if (reported) power_loss_done();
    return rc;
}

static int reported_delete(sqlite3_vfs *vfs, const char *name, int sync_directory) {
    (void)vfs;
    power_loss_begin(POWER_OP_UNLINK, name, -1);
    power_loss_note_unlink(name);
    int rc = real_vfs->xDelete(real_vfs, name, sync_directory);
    if (rc == SQLITE_OK && sync_directory) {
        char parent[PATH_MAX];
        parent_of(name, parent, sizeof parent);
        power_loss_note_sync_directory(parent);
    }
    power_loss_done();
    return rc;
}

bool index_power_loss_install(void) {
    if (real_vfs != NULL) return true; /* installed already */
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL) return false;
    /* Everything else is the unix VFS's own, with its own app data. */
    reporting_vfs = *real_vfs;
    reporting_vfs.zName = "tally-power-loss";
    reporting_vfs.szOsFile = (int)sizeof(reported_file) + real_vfs->szOsFile;
    reporting_vfs.pNext = NULL;
    reporting_vfs.xOpen = reported_open;
    reporting_vfs.xDelete = reported_delete;
    return sqlite3_vfs_register(&reporting_vfs, 1) == SQLITE_OK;
}

#else
bool index_power_loss_install(void) { return false; }
#endif
