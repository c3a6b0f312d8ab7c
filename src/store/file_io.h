/*
 * file_io.h: the one door between the store (block log, snapshots) and the file
 * system. Every open, read, write, fsync, truncate, rename, unlink and directory
 * listing of a data directory goes through here, so tests can make any of them
 * fail the way disks fail: a write refused, a write cut short, an fsync that
 * reports an error, or a crash after N bytes. Not part of the public API.
 *
 * Functions return false (or -1) with errno set, like the calls they wrap, and
 * retry what POSIX allows to be partial or interrupted (short writes and reads,
 * EINTR), so callers see all-or-error.
 */
#ifndef TALLY_STORE_FILE_IO_H
#define TALLY_STORE_FILE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* open(2) with O_CLOEXEC added; -1 and errno on failure. */
int file_open(const char *path, int flags, unsigned mode);
/* close(2); false on failure (the descriptor is gone either way). */
bool file_close(int fd);
/* Writes all `length` bytes at `offset` (pwrite, looped). */
bool file_write_at(int fd, const void *bytes, size_t length, uint64_t offset);
/* Reads up to `length` bytes at `offset` (pread, looped); *got < length only at the
 * end of the file. */
bool file_read_at(int fd, void *bytes, size_t length, uint64_t offset, size_t *got);
bool file_sync(int fd);
bool file_truncate(int fd, uint64_t length);
bool file_stat_size(int fd, uint64_t *size);
bool file_rename(const char *from, const char *to);
/* unlink(2); a missing file is not an error. */
bool file_unlink(const char *path);
/* mkdir(2) with `mode`; an existing directory is not an error (another kind of
 * file is: ENOTDIR). A directory it creates is made durable: the directory holding
 * it is fsynced, so a crash cannot forget it after its files were fsynced. */
bool file_make_directory(const char *path, unsigned mode);
/* Opens the directory and fsyncs it, so a creation or rename inside it is durable. */
bool file_sync_directory(const char *path);
/* file_sync_directory of the directory that holds path ("." for a bare name). */
bool file_sync_parent(const char *path);
/* Takes an exclusive fcntl lock on the whole file; errno EAGAIN or EACCES when
 * another process holds it. Released when the descriptor is closed (POSIX locks
 * belong to the process: a second descriptor in the same process does not conflict,
 * and closing any descriptor of the file releases it). */
bool file_lock(int fd);

/* Calls each(context, name) for every entry of directory but "." and "..", at most
 * `limit` times; false with errno when the directory cannot be read. */
typedef void file_entry_fn(void *context, const char *name);
bool file_list_directory(const char *path, file_entry_fn *each, void *context, size_t limit);

/* Writes a whole file durably: created (or emptied) with mode, the bytes written,
 * the file fsynced, then the directory holding it fsynced so that its name
 * survives a power cut too. For files written once (evidence); files that must never be seen half
 * written are written to a temporary name and renamed instead. */
bool file_write_whole(const char *path, const void *bytes, size_t length, unsigned mode);
/* Reads a whole file of at most max_length bytes into a new buffer the caller
 * frees; EFBIG when longer, ENOMEM when out of memory. */
bool file_read_whole(const char *path, uint8_t **bytes, size_t *length, uint64_t max_length);

/* ------------------------------------------------------------------------ */
/* Fault injection, for tests.                                               */
/* ------------------------------------------------------------------------ */

/*
 * Faults counted from the moment they are armed; a count N means "the Nth call
 * from now", 0 means never. Process-wide and not thread-safe: arm them only in
 * single-threaded tests. While nothing is armed the wrappers cost one branch.
 *
 * crash_after_bytes models the process dying mid-write (kill -9): bytes written
 * before it reach the file, the write that crosses it stops at it, and from then on
 * every write, fsync, truncate, rename and unlink fails with EIO, as if nothing
 * after the crash happened. crash_at_sync is the same death just before an fsync:
 * every write before it landed whole. Neither models losing unsynced pages (power
 * loss).
 *
 * disk_full_after_bytes models a disk with that many bytes free: the write that
 * crosses it stores what fits and fails with ENOSPC, and so does every later write
 * (storing nothing). Unlike a crash, fsync, truncate, rename and unlink still work,
 * and nothing is freed by a truncate: the disk stays full until
 * file_faults_free_space. A short write's ENOSPC is a disk that was full for one
 * write.
 */
typedef struct {
    uint32_t fail_write;   /* that write fails with EIO before writing anything */
    uint32_t short_write;  /* that write stores the first half of its bytes, then ENOSPC */
    uint32_t fail_sync;    /* that fsync (of a file or a directory) fails with EIO */
    uint32_t fail_rename;  /* that rename fails with EIO */
    uint32_t crash_at_sync; /* the process dies instead of that fsync (EIO from then on) */
    bool crash;            /* arm crash_after_bytes */
    uint64_t crash_after_bytes;
    bool disk_full;        /* arm disk_full_after_bytes */
    uint64_t disk_full_after_bytes;
} file_faults;

typedef struct {
    uint32_t writes;        /* write calls since armed */
    uint32_t syncs;
    uint32_t renames;
    uint64_t bytes_written; /* that reached the file */
    bool crashed;
} file_fault_counts;

void file_faults_arm(const file_faults *faults);
void file_faults_disarm(void);
/* Space returns: disk_full_after_bytes no longer holds from the next write on.
 * Async-signal-safe (it sets a flag), so a test can free a running node's disk
 * with a signal (tallyd's SIGUSR2 in test builds). */
void file_faults_free_space(void);
/* Whether an armed disk_full_after_bytes holds now: what the files that do not go
 * through this layer (the index's SQLite files, tallyd's test VFS) are told. */
bool file_faults_disk_full_now(void);
file_fault_counts file_faults_counts(void);

#endif
