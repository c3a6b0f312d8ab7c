/*
 * power_loss.h: a model of what a disk keeps when the power fails, for test builds
 * only (compiled with TALLY_FAULT_INJECTION; the release binaries have none of it).
 *
 * A killed process loses nothing it wrote: the kernel still holds its pages. A
 * power cut loses every write that was not fsynced, and every creation, rename or
 * removal of a name whose directory was not fsynced. When armed, the file layer
 * (file_io.c) and the index's SQLite VFS (src/node/index_power_loss.c) report every
 * write, truncate, fsync, create, rename, unlink, mkdir and directory fsync here
 * before doing it. The model keeps, for every file, the bytes its unsynced writes
 * overwrote and a copy of each unsynced write; for every directory, the changes of
 * names since its last fsync.
 *
 * The power fails instead of the Nth reported operation of the start or of the
 * serving that follows (or at the next one after power_loss_cut_soon). Then the model rewrites the files to what a
 * disk may have kept, chosen from the seed: nothing that was not synced, all of it
 * (a process crash), a prefix of each file's unsynced writes in order with the next
 * one torn at any byte, or any subset of them (each kept, dropped or torn); for the
 * directories, a prefix of each one's unsynced changes (a journalling file system
 * keeps them in order), the rest undone. Then the process ends at once with
 * POWER_CUT_EXIT, holding the model's lock so that no other thread does any more
 * I/O: what is on disk afterwards is what the next start finds.
 *
 * Everything on disk when the mode is armed counts as durable (the previous cut
 * already took away what it had to).
 */
#ifndef TALLY_STORE_POWER_LOSS_H
#define TALLY_STORE_POWER_LOSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The exit status of a process whose power was cut. */
#define POWER_CUT_EXIT 86

typedef struct {
    uint64_t seed; /* what the disk keeps of what was not synced */
    /* The power fails instead of the Nth reported operation while the process
     * starts (counted from arming), or instead of the Nth after it serves (counted
     * from power_loss_serving); 0: not in that phase. power_loss_cut_soon cuts in
     * either. */
    uint64_t start_cut_at;
    uint64_t cut_at;
    /* When not empty, only operations on files whose path holds this count toward
     * start_cut_at and cut_at: a cut aimed at the block log, snapshots or index. */
    char cut_file[64];
    /* A line about the cut is appended here ("" for none): the operation it fell
     * on, the file, what was kept. */
    char report_path[512];
} power_loss_plan;

/* Arms the model (process-wide, once, before any thread does I/O). */
bool power_loss_arm(const power_loss_plan *plan);
bool power_loss_armed(void);
/* The process has started and serves: cut_at counts from here. */
void power_loss_serving(void);
/* Async-signal-safe: the power fails at the next reported operation. */
void power_loss_cut_soon(void);

/* What the file layer reports. Each call counts one operation and may not return
 * (the power fails instead); `path` names the file for the report, and for the
 * calls that take a descriptor the file is known by its inode. Every call takes
 * the model's lock and keeps it until power_loss_done, so that the operation and
 * its record are one step; the caller does the real operation in between. */
typedef enum {
    POWER_OP_OPEN, /* for writing, of a file that exists (nothing changes on disk) */
    POWER_OP_WRITE,
    POWER_OP_TRUNCATE,
    POWER_OP_SYNC,
    POWER_OP_SYNC_DIRECTORY,
    POWER_OP_CREATE,
    POWER_OP_RENAME,
    POWER_OP_UNLINK,
    POWER_OP_MKDIR,
} power_op;

/* Counts an operation on path, or on the file behind fd when path is NULL (the
 * power may fail here), and takes the lock. */
void power_loss_begin(power_op op, const char *path, int fd);
void power_loss_done(void);

/* The notes, each between power_loss_begin and power_loss_done (or alone: each
 * takes the lock, which is recursive). */
/* A descriptor of path was opened for writing; created: the name is new. */
void power_loss_note_open(int fd, const char *path, bool created);
/* Before the write: saves what it overwrites, copies what it writes. */
void power_loss_note_write(int fd, const void *bytes, size_t length, uint64_t offset);
void power_loss_note_truncate(int fd, uint64_t length);
/* After a successful fsync: the file's bytes are durable. */
void power_loss_note_sync(int fd);
/* After a successful fsync of a directory: the changes of names in it are durable. */
void power_loss_note_sync_directory(const char *directory);
/* Before a rename or unlink: saves the file the name held, to bring it back. */
void power_loss_note_rename(const char *from, const char *to);
void power_loss_note_unlink(const char *path);
/* After a mkdir made path. */
void power_loss_note_mkdir(const char *path);

#endif
