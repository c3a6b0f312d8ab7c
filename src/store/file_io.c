/*
 * file_io.c: the store's file system calls and the fault hook tests use to make
 * them fail (see file_io.h). Each wrapper first asks the hook whether this call
 * fails; when nothing is armed that is a single test of a flag. Test builds
 * (TALLY_FAULT_INJECTION) also report every call that changes the disk to the
 * power-loss model (power_loss.h) when it is armed: POWER_BEGIN before the call,
 * POWER_DONE after, so the model's record and the call are one step.
 */
#include "store/file_io.h"
#include "store/power_loss.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest single read or write asked of the kernel: Linux moves at most about
 * 2 GiB per call anyway, and a bound keeps ssize_t conversions exact. */
#define IO_CHUNK_MAX ((size_t)1 << 30)
/* Longest path whose parent directory file_sync_parent can name. */
#define PARENT_PATH_BYTES 4096u

/* ------------------------------------------------------------------------ */
/* The fault hook.                                                           */
/* ------------------------------------------------------------------------ */

static struct {
    bool armed;
    file_faults faults;
    file_fault_counts counts;
} hook;

void file_faults_arm(const file_faults *faults) {
    assert(faults != NULL);
    memset(&hook, 0, sizeof hook);
    hook.faults = *faults;
    hook.armed = true;
}

void file_faults_disarm(void) { memset(&hook, 0, sizeof hook); }

/* Set by a signal handler (tallyd's SIGUSR2 in test builds): the next write finds
 * the disk no longer full. */
static volatile sig_atomic_t space_freed;

void file_faults_free_space(void) { space_freed = 1; }

bool file_faults_disk_full_now(void) {
    return hook.armed && hook.faults.disk_full && !space_freed &&
           hook.counts.bytes_written >= hook.faults.disk_full_after_bytes;
}

file_fault_counts file_faults_counts(void) { return hook.counts; }

/* True (errno EIO) when the simulated process is dead. */
static bool hook_crashed(void) {
    if (!hook.armed || !hook.counts.crashed) return false;
    errno = EIO;
    return true;
}

/* How many of `length` bytes this write may store; *error is the errno the write
 * then fails with (0 when it succeeds). */
static size_t hook_write_allowance(size_t length, int *error) {
    *error = 0;
    if (!hook.armed) return length;
    if (hook.counts.crashed) {
        *error = EIO;
        return 0;
    }
    hook.counts.writes++;
    if (hook.counts.writes == hook.faults.fail_write) {
        *error = EIO;
        return 0;
    }
    size_t allowed = length;
    if (space_freed) {
        hook.faults.disk_full = false;
        space_freed = 0;
    }
    if (hook.counts.writes == hook.faults.short_write) {
        allowed = length / 2;
        *error = ENOSPC;
    }
    if (hook.faults.disk_full) {
        uint64_t written = hook.counts.bytes_written;
        uint64_t room = written < hook.faults.disk_full_after_bytes
                            ? hook.faults.disk_full_after_bytes - written
                            : 0;
        if (room < allowed) {
            allowed = (size_t)room;
            *error = ENOSPC;
        }
    }
    if (hook.faults.crash) {
        uint64_t written = hook.counts.bytes_written;
        uint64_t room = written < hook.faults.crash_after_bytes
                            ? hook.faults.crash_after_bytes - written
                            : 0;
        if (room <= allowed) {
            allowed = (size_t)room;
            hook.counts.crashed = true;
            *error = EIO;
        }
    }
    return allowed;
}

static bool hook_counted_fault(uint32_t *counter, uint32_t fail_at) {
    if (!hook.armed) return false;
    if (hook_crashed()) return true;
    (*counter)++;
    if (*counter != fail_at) return false;
    errno = EIO;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Wrappers.                                                                 */
/* ------------------------------------------------------------------------ */

#ifdef TALLY_FAULT_INJECTION
#define POWER_BEGIN(op, path, fd) power_loss_begin(op, path, fd)
#define POWER_DONE() power_loss_done()
#define POWER_NOTE(call) call
#else
#define POWER_BEGIN(op, path, fd) ((void)0)
#define POWER_DONE() ((void)0)
#define POWER_NOTE(call) ((void)0)
#endif

#ifdef TALLY_FAULT_INJECTION
/* file_open for writing under the power-loss model: whether the name is new is
 * known from a look before the open, and O_TRUNC is done as a separate truncate so
 * that the model saves the bytes it takes away. */
static int power_loss_open(const char *path, int flags, unsigned mode) {
    struct stat before;
    bool existed = lstat(path, &before) == 0;
    bool truncates = (flags & O_TRUNC) != 0 && existed;
    power_op op = !existed && (flags & O_CREAT) ? POWER_OP_CREATE : truncates ? POWER_OP_TRUNCATE : POWER_OP_OPEN;
    power_loss_begin(op, path, -1);
    int fd;
    do {
        fd = open(path, (flags & ~O_TRUNC) | O_CLOEXEC, (mode_t)mode);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
        power_loss_note_open(fd, path, !existed);
        if (truncates) {
            power_loss_note_truncate(fd, 0);
            if (ftruncate(fd, 0) != 0) {
                int error = errno;
                close(fd);
                errno = error;
                fd = -1;
            }
        }
    }
    int error = errno;
    power_loss_done();
    errno = error;
    return fd;
}
#endif

int file_open(const char *path, int flags, unsigned mode) {
    assert(path != NULL);
    if ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0 && hook_crashed()) return -1;
#ifdef TALLY_FAULT_INJECTION
    if ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0 && power_loss_armed())
        return power_loss_open(path, flags, mode);
#endif
    int fd;
    do {
        fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

bool file_close(int fd) {
    /* Never retry close on EINTR: on Linux the descriptor is already released. */
    return close(fd) == 0;
}

/* The real pwrite loop, without faults. */
static bool write_fully(int fd, const uint8_t *bytes, size_t length, uint64_t offset) {
    size_t done = 0;
    while (done < length) {
        size_t chunk = length - done < IO_CHUNK_MAX ? length - done : IO_CHUNK_MAX;
        if (offset + done > (uint64_t)INT64_MAX) {
            errno = EFBIG;
            return false;
        }
        ssize_t written = pwrite(fd, bytes + done, chunk, (off_t)(offset + done));
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            if (written == 0) errno = EIO;
            return false;
        }
        done += (size_t)written;
    }
    return true;
}

bool file_write_at(int fd, const void *bytes, size_t length, uint64_t offset) {
    assert(bytes != NULL || length == 0);
    int injected;
    size_t allowed = hook_write_allowance(length, &injected);
    POWER_BEGIN(POWER_OP_WRITE, NULL, fd);
    POWER_NOTE(power_loss_note_write(fd, bytes, allowed, offset));
    bool written = write_fully(fd, bytes, allowed, offset);
    int error = errno;
    POWER_DONE();
    errno = error;
    if (!written) return false;
    if (hook.armed) hook.counts.bytes_written += allowed;
    if (injected == 0) return true;
    errno = injected;
    return false;
}

bool file_read_at(int fd, void *bytes, size_t length, uint64_t offset, size_t *got) {
    assert(got != NULL && (bytes != NULL || length == 0));
    uint8_t *cursor = bytes;
    size_t done = 0;
    while (done < length) {
        size_t chunk = length - done < IO_CHUNK_MAX ? length - done : IO_CHUNK_MAX;
        if (offset + done > (uint64_t)INT64_MAX) break;
        ssize_t read_now = pread(fd, cursor + done, chunk, (off_t)(offset + done));
        if (read_now < 0 && errno == EINTR) continue;
        if (read_now < 0) return false;
        if (read_now == 0) break; /* end of file */
        done += (size_t)read_now;
    }
    *got = done;
    return true;
}

/* The fsync counted now: fails (EIO) when it is the one told to fail, or when the
 * process is told to die just before it (then everything fails from here on). */
static bool hook_sync_fault(void) {
    if (!hook.armed) return false;
    if (hook_crashed()) return true;
    hook.counts.syncs++;
    if (hook.counts.syncs == hook.faults.crash_at_sync) {
        hook.counts.crashed = true;
    } else if (hook.counts.syncs != hook.faults.fail_sync) {
        return false;
    }
    errno = EIO;
    return true;
}

bool file_sync(int fd) {
    if (hook_sync_fault()) return false;
    POWER_BEGIN(POWER_OP_SYNC, NULL, fd);
    bool synced = fsync(fd) == 0;
    int error = errno;
    if (synced) POWER_NOTE(power_loss_note_sync(fd));
    POWER_DONE();
    errno = error;
    return synced;
}

bool file_truncate(int fd, uint64_t length) {
    if (hook_crashed()) return false;
    if (length > (uint64_t)INT64_MAX) {
        errno = EFBIG;
        return false;
    }
    POWER_BEGIN(POWER_OP_TRUNCATE, NULL, fd);
    POWER_NOTE(power_loss_note_truncate(fd, length));
    int result;
    do {
        result = ftruncate(fd, (off_t)length);
    } while (result != 0 && errno == EINTR);
    int error = errno;
    POWER_DONE();
    errno = error;
    return result == 0;
}

bool file_stat_size(int fd, uint64_t *size) {
    assert(size != NULL);
    struct stat status;
    if (fstat(fd, &status) != 0) return false;
    if (status.st_size < 0) {
        errno = EIO;
        return false;
    }
    *size = (uint64_t)status.st_size;
    return true;
}

bool file_rename(const char *from, const char *to) {
    assert(from != NULL && to != NULL);
    if (hook_counted_fault(&hook.counts.renames, hook.faults.fail_rename)) return false;
    POWER_BEGIN(POWER_OP_RENAME, to, -1);
    POWER_NOTE(power_loss_note_rename(from, to));
    bool renamed = rename(from, to) == 0;
    int error = errno;
    POWER_DONE();
    errno = error;
    return renamed;
}

bool file_unlink(const char *path) {
    assert(path != NULL);
    if (hook_crashed()) return false;
    POWER_BEGIN(POWER_OP_UNLINK, path, -1);
    POWER_NOTE(power_loss_note_unlink(path));
    bool removed = unlink(path) == 0 || errno == ENOENT;
    int error = errno;
    POWER_DONE();
    errno = error;
    return removed;
}

bool file_make_directory(const char *path, unsigned mode) {
    assert(path != NULL);
    if (hook_crashed()) return false;
    POWER_BEGIN(POWER_OP_MKDIR, path, -1);
    bool made = mkdir(path, (mode_t)mode) == 0;
    int error = errno;
    if (made) POWER_NOTE(power_loss_note_mkdir(path));
    POWER_DONE();
    errno = error;
    if (made) return file_sync_parent(path);
    if (errno != EEXIST) return false;
    struct stat status;
    if (stat(path, &status) != 0) return false;
    if (!S_ISDIR(status.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

bool file_sync_directory(const char *path) {
    int fd = file_open(path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return false;
    bool synced = !hook_sync_fault();
    POWER_BEGIN(POWER_OP_SYNC_DIRECTORY, path, -1);
    synced = synced && fsync(fd) == 0;
    int error = errno;
    if (synced) POWER_NOTE(power_loss_note_sync_directory(path));
    POWER_DONE();
    file_close(fd);
    errno = error;
    return synced;
}

bool file_sync_parent(const char *path) {
    assert(path != NULL);
    char parent[PARENT_PATH_BYTES];
    size_t length = strlen(path);
    if (length >= sizeof parent) {
        errno = ENAMETOOLONG;
        return false;
    }
    memcpy(parent, path, length + 1);
    while (length > 1 && parent[length - 1] == '/') parent[--length] = '\0'; /* "a/b/" is "a/b" */
    char *slash = strrchr(parent, '/');
    if (slash == NULL) return file_sync_directory(".");
    if (slash == parent) slash[1] = '\0'; /* "/a": the root */
    else *slash = '\0';
    return file_sync_directory(parent);
}

bool file_lock(int fd) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET; /* start 0, length 0: the whole file, however long */
    return fcntl(fd, F_SETLK, &lock) == 0;
}

bool file_list_directory(const char *path, file_entry_fn *each, void *context, size_t limit) {
    assert(path != NULL && each != NULL);
    DIR *directory = opendir(path);
    if (directory == NULL) return false;
    size_t listed = 0;
    errno = 0;
    struct dirent *entry;
    while (listed < limit && (entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        each(context, entry->d_name);
        listed++;
        errno = 0;
    }
    int error = errno;
    closedir(directory);
    errno = error;
    return error == 0;
}

bool file_write_whole(const char *path, const void *bytes, size_t length, unsigned mode) {
    assert(path != NULL && (bytes != NULL || length == 0));
    int fd = file_open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) return false;
    bool ok = file_write_at(fd, bytes, length, 0) && file_sync(fd);
    int error = errno;
    ok = file_close(fd) && ok;
    if (ok) ok = file_sync_parent(path);
    else errno = error;
    return ok;
}

bool file_read_whole(const char *path, uint8_t **bytes, size_t *length, uint64_t max_length) {
    assert(path != NULL && bytes != NULL && length != NULL);
    *bytes = NULL;
    *length = 0;
    int fd = file_open(path, O_RDONLY, 0);
    if (fd < 0) return false;
    uint64_t size = 0;
    bool ok = file_stat_size(fd, &size);
    if (ok && (size > max_length || size > SIZE_MAX - 1)) {
        errno = EFBIG;
        ok = false;
    }
    /* One byte more than the size, so a file that grew since fstat is noticed. */
    uint8_t *buffer = ok ? malloc((size_t)size + 1) : NULL;
    if (ok && buffer == NULL) {
        errno = ENOMEM;
        ok = false;
    }
    size_t got = 0;
    if (ok) ok = file_read_at(fd, buffer, (size_t)size + 1, 0, &got);
    if (ok && got != size) {
        errno = EAGAIN; /* changed while read */
        ok = false;
    }
    int error = errno;
    file_close(fd);
    if (!ok) {
        free(buffer);
        errno = error;
        return false;
    }
    *bytes = buffer;
    *length = got;
    return true;
}
