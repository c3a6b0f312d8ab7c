/*
 * bench_pg.c: the peer baseline. The transfer workload of bench_node.c (the same
 * members, client threads, batches and transfers: bench.h), and the batch payments
 * of bench_batch.c, run against what an operator would otherwise use, a PostgreSQL
 * ledger, on the same machine in the same `make bench`.
 *
 * The benchmark starts its own cluster (initdb and pg_ctl of Debian's postgresql
 * package) in a temporary directory, listening on a free loopback port only, as the
 * `postgres` system user when it runs as root (PostgreSQL refuses to run as root),
 * and removes it afterwards. It installs nothing: when PostgreSQL or libpq is
 * missing or the cluster cannot start, it says why and the bench goes on.
 *
 * Fair to PostgreSQL, as its best users would do it: every client holds a libpq
 * connection with a prepared statement; a batch is one round trip, a call of a
 * PL/pgSQL function that takes the batch as arrays, locks all its accounts at once
 * with SELECT ... FOR UPDATE in id order (so batches never deadlock), applies the
 * transfers in order in memory with Tally's rules (payer floor -credit_limit,
 * payee positive cap, base fee ceil(amount * fee_bps / 10000) paid by the payer
 * within the same limit and never above max_fee), then writes the balances back in
 * one UPDATE and journals the committed transfers in one INSERT. The fee account is
 * split in one shard per client so that it is not a row every batch waits for.
 * Durability equals Tally's: fsync and synchronous_commit on, so a batch is
 * acknowledged only once its commit is in the fsynced WAL (Tally: once its block
 * is fsynced). PostgreSQL checks no signatures; Tally checks one Ed25519 signature
 * per transfer.
 */
#define _GNU_SOURCE /* setgroups */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

/* ---- the cluster ---- */

typedef struct {
    char directory[64];     /* the temporary directory: data/, logs */
    char data[128];
    char bin[256];          /* /usr/lib/postgresql/<version>/bin */
    unsigned port;
    bool as_postgres;       /* run the server's programs as the postgres user */
    uid_t uid;
    gid_t gid;
    bool created, started;
} cluster;

/* The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl. */
static bool find_binaries(cluster *c) {
    glob_t found;
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &found) != 0) return false;
    int best_version = -1;
    for (size_t i = 0; i < found.gl_pathc; i++) {
        const char *path = found.gl_pathv[i];
        int version = atoi(path + strlen("/usr/lib/postgresql/"));
        char pg_ctl[300];
        snprintf(pg_ctl, sizeof pg_ctl, "%.*s/pg_ctl", (int)(strlen(path) - strlen("/initdb")), path);
        if (version > best_version && access(path, X_OK) == 0 && access(pg_ctl, X_OK) == 0) {
            best_version = version;
            snprintf(c->bin, sizeof c->bin, "%.*s", (int)(strlen(path) - strlen("/initdb")), path);
        }
    }
    globfree(&found);
    return best_version >= 0;
}

/* A loopback port nobody listens on right now. */
static unsigned free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
        getsockname(fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

/* Runs one of the server's programs (as postgres when we are root) in the cluster's
 * directory, its output appended to log_name there; returns its exit status. */
static int run_program(const cluster *c, const char *program, const char *const *arguments, const char *log_name) {
    char path[320], log_path[160];
    snprintf(path, sizeof path, "%s/%s", c->bin, program);
    snprintf(log_path, sizeof log_path, "%s/%s", c->directory, log_name);
    const char *argv[24] = {path};
    int count = 1;
    for (int i = 0; arguments[i] && count < 23; i++) argv[count++] = arguments[i];
    argv[count] = NULL;
    static const char *const environment[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", NULL};
    fflush(stdout), fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (c->as_postgres && (setgroups(0, NULL) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0)) _exit(126);
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log < 0 || chdir(c->directory) != 0) _exit(126);
        dup2(log, STDOUT_FILENO), dup2(log, STDERR_FILENO);
        close(log);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, STDIN_FILENO), close(null);
        execve(path, (char *const *)(uintptr_t)argv, (char *const *)(uintptr_t)environment);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last lines of a log of the cluster, for a reason to print. */
static void log_tail(const cluster *c, const char *log_name, char *out, size_t out_size) {
    char path[160];
    snprintf(path, sizeof path, "%s/%s", c->directory, log_name);
    out[0] = '\0';
    FILE *file = fopen(path, "r");
    if (!file) return;
    char text[4096];
    size_t length = fread(text, 1, sizeof text - 1, file);
    if (fseek(file, 0, SEEK_END) == 0 && ftell(file) > (long)sizeof text - 1) {
        fseek(file, -(long)(sizeof text - 1), SEEK_END);
        length = fread(text, 1, sizeof text - 1, file);
    }
    fclose(file);
    text[length] = '\0';
    const char *start = text;
    for (int lines = 0, i = (int)length - 2; i >= 0; i--)
        if (text[i] == '\n' && ++lines == 3) {
            start = text + i + 1;
            break;
        }
    size_t kept = strlen(start) < out_size - 1 ? strlen(start) : out_size - 1;
    memcpy(out, start, kept);
    out[kept] = '\0';
    for (char *at = out; *at; at++)
        if (*at == '\n') *at = ' ';
}

static bool cluster_start(cluster *c, char *why, size_t why_size) {
    memset(c, 0, sizeof *c);
    if (!find_binaries(c))
        return snprintf(why, why_size, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
                                       "scripts/install-deps.sh installs the postgresql package)"), false;
    if (geteuid() == 0) {
        const struct passwd *user = getpwnam("postgres");
        if (!user)
            return snprintf(why, why_size, "running as root and there is no postgres user to run the server as"),
                   false;
        c->as_postgres = true, c->uid = user->pw_uid, c->gid = user->pw_gid;
    }
    snprintf(c->directory, sizeof c->directory, "/tmp/tally-pg-XXXXXX");
    if (!mkdtemp(c->directory)) return snprintf(why, why_size, "cannot make a temporary directory"), false;
    c->created = true;
    if (c->as_postgres && chown(c->directory, c->uid, c->gid) != 0)
        return snprintf(why, why_size, "cannot give %s to the postgres user: %s", c->directory, strerror(errno)), false;
    snprintf(c->data, sizeof c->data, "%s/data", c->directory);
    /* --no-sync: only the throwaway cluster's creation is not fsynced; the run is */
    const char *initdb[] = {"-D", c->data, "-U", "tally", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", NULL};
    if (run_program(c, "initdb", initdb, "initdb.log") != 0) {
        char tail[600];
        log_tail(c, "initdb.log", tail, sizeof tail);
        return snprintf(why, why_size, "initdb failed: %s", tail), false;
    }
    c->port = free_port();
    char conf_path[160];
    snprintf(conf_path, sizeof conf_path, "%s/postgresql.conf", c->data);
    FILE *conf = fopen(conf_path, "a");
    if (!conf || c->port == 0) {
        if (conf) fclose(conf);
        return snprintf(why, why_size, "cannot configure the cluster"), false;
    }
    /* Loopback only, no Unix socket; durability as shipped (and as Tally's). */
    fprintf(conf,
            "\n# tally bench\nlisten_addresses = '127.0.0.1'\nport = %u\nunix_socket_directories = ''\n"
            "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\nmax_connections = 40\njit = off\n"
            "autovacuum_naptime = 1\n",
            c->port);
    fclose(conf);
    const char *start[] = {"-D", c->data, "-l", "server.log", "-w", "-t", "60", "start", NULL};
    if (run_program(c, "pg_ctl", start, "pg_ctl.log") != 0) {
        char tail[600];
        log_tail(c, "server.log", tail, sizeof tail);
        return snprintf(why, why_size, "the server did not start: %s", tail), false;
    }
    c->started = true;
    return true;
}

static void cluster_remove(cluster *c) {
    if (c->started) {
        const char *stop[] = {"-D", c->data, "-m", "fast", "-w", "-t", "60", "stop", NULL};
        if (run_program(c, "pg_ctl", stop, "pg_ctl.log") != 0) {
            const char *now[] = {"-D", c->data, "-m", "immediate", "-w", "stop", NULL};
            if (run_program(c, "pg_ctl", now, "pg_ctl.log") != 0)
                fprintf(stderr, "postgres: could not stop the server in %s\n", c->data);
        }
        c->started = false;
    }
    if (c->created && strncmp(c->directory, "/tmp/tally-pg-", 14) == 0) {
        char command[128];
        snprintf(command, sizeof command, "rm -rf '%s'", c->directory);
        if (system(command) != 0) fprintf(stderr, "postgres: could not remove %s\n", c->directory);
        c->created = false;
    }
}

/* ---- the ledger ---- */

static const char schema[] =
    "CREATE TABLE policy (fee_bps integer NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000));\n"
    "CREATE TABLE accounts (\n"
    "  id integer PRIMARY KEY,\n"
    "  balance bigint NOT NULL,\n"
    "  credit_limit bigint NOT NULL CHECK (credit_limit >= 0), -- balance may go down to -credit_limit\n"
    "  positive_cap bigint NOT NULL CHECK (positive_cap >= 0)  -- no payment takes it above; 0 = none\n"
    ") WITH (fillfactor = 20, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,\n"
    "        autovacuum_vacuum_cost_delay = 0); -- room on each page for HOT updates, vacuumed often\n"
    "-- the fee account, one shard per client so that no row is locked by every batch\n"
    "CREATE TABLE fee_shards (shard integer PRIMARY KEY, balance bigint NOT NULL);\n"
    "CREATE TABLE transfers (payer integer NOT NULL, payee integer NOT NULL, amount bigint NOT NULL,\n"
    "                        fee bigint NOT NULL); -- the journal\n"
    "\n"
    "-- Applies a batch in order; a refused transfer changes nothing and the others go on\n"
    "-- (as in a Tally block). Returns how many were applied.\n"
    "CREATE FUNCTION transfer_batch(p_payers integer[], p_payees integer[], p_amounts bigint[],\n"
    "                               p_max_fees bigint[], p_shard integer) RETURNS integer\n"
    "LANGUAGE plpgsql AS $$\n"
    "DECLARE\n"
    "  v_count integer := coalesce(array_length(p_payers, 1), 0);\n"
    "  v_bps bigint;\n"
    "  v_ids integer[]; v_balances bigint[]; v_limits bigint[]; v_caps bigint[]; v_slot integer[];\n"
    "  v_payer integer; v_payee integer; v_amount bigint; v_fee bigint; v_payer_after bigint;\n"
    "  v_payee_after bigint; v_fees bigint := 0; v_done integer := 0;\n"
    "  v_journal_payers integer[] := '{}'; v_journal_payees integer[] := '{}';\n"
    "  v_journal_amounts bigint[] := '{}'; v_journal_fees bigint[] := '{}';\n"
    "BEGIN\n"
    "  SELECT fee_bps INTO v_bps FROM policy;\n"
    "  -- every account of the batch, locked at once in id order: batches never deadlock\n"
    "  SELECT array_agg(id ORDER BY id), array_agg(balance ORDER BY id), array_agg(credit_limit ORDER BY id),\n"
    "         array_agg(positive_cap ORDER BY id)\n"
    "    INTO v_ids, v_balances, v_limits, v_caps\n"
    "    FROM (SELECT id, balance, credit_limit, positive_cap FROM accounts\n"
    "           WHERE id = ANY (p_payers || p_payees) ORDER BY id FOR UPDATE) AS locked;\n"
    "  IF v_ids IS NULL THEN RETURN 0; END IF;\n"
    "  v_slot := array_fill(0, ARRAY[v_ids[array_length(v_ids, 1)] + 1], ARRAY[0]);\n"
    "  FOR k IN 1 .. array_length(v_ids, 1) LOOP v_slot[v_ids[k]] := k; END LOOP;\n"
    "  FOR i IN 1 .. v_count LOOP\n"
    "    v_amount := p_amounts[i];\n"
    "    v_payer := coalesce(v_slot[p_payers[i]], 0);\n"
    "    v_payee := coalesce(v_slot[p_payees[i]], 0);\n"
    "    CONTINUE WHEN v_amount <= 0 OR v_payer = 0 OR v_payee = 0 OR v_payer = v_payee;\n"
    "    -- the base fee, ceil(amount * bps / 10000), without an intermediate overflow\n"
    "    v_fee := (v_amount / 10000) * v_bps + ((v_amount % 10000) * v_bps + 9999) / 10000;\n"
    "    CONTINUE WHEN v_fee > p_max_fees[i];\n"
    "    v_payer_after := v_balances[v_payer] - v_amount - v_fee;\n"
    "    CONTINUE WHEN v_payer_after < -v_limits[v_payer];\n"
    "    v_payee_after := v_balances[v_payee] + v_amount;\n"
    "    CONTINUE WHEN v_caps[v_payee] > 0 AND v_payee_after > v_caps[v_payee]\n"
    "                  AND v_payee_after > v_balances[v_payee];\n"
    "    v_balances[v_payer] := v_payer_after;\n"
    "    v_balances[v_payee] := v_payee_after;\n"
    "    v_fees := v_fees + v_fee;\n"
    "    v_done := v_done + 1;\n"
    "    v_journal_payers[v_done] := p_payers[i]; v_journal_payees[v_done] := p_payees[i];\n"
    "    v_journal_amounts[v_done] := v_amount; v_journal_fees[v_done] := v_fee;\n"
    "  END LOOP;\n"
    "  UPDATE accounts SET balance = changed.balance FROM unnest(v_ids, v_balances) AS changed(id, balance)\n"
    "   WHERE accounts.id = changed.id AND accounts.balance <> changed.balance;\n"
    "  UPDATE fee_shards SET balance = balance + v_fees WHERE shard = p_shard;\n"
    "  INSERT INTO transfers SELECT * FROM unnest(v_journal_payers, v_journal_payees, v_journal_amounts,\n"
    "                                            v_journal_fees);\n"
    "  RETURN v_done;\n"
    "END $$;\n"
    "\n"
    "-- The same behind one transaction-scoped advisory lock: batches that would all\n"
    "-- collide on their row locks queue in arrival order instead of waking together.\n"
    "CREATE FUNCTION transfer_batch_queued(p_payers integer[], p_payees integer[], p_amounts bigint[],\n"
    "                                      p_max_fees bigint[], p_shard integer) RETURNS integer\n"
    "LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  PERFORM pg_advisory_xact_lock(7);\n"
    "  RETURN transfer_batch(p_payers, p_payees, p_amounts, p_max_fees, p_shard);\n"
    "END $$;\n";

static bool execute(PGconn *connection, const char *sql, char *why, size_t why_size) {
    PGresult *result = PQexec(connection, sql);
    ExecStatusType status = PQresultStatus(result);
    bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok) snprintf(why, why_size, "%s", PQresultErrorMessage(result));
    PQclear(result);
    return ok;
}

static bool create_ledger(PGconn *connection, char *why, size_t why_size) {
    char load[512];
    snprintf(load, sizeof load,
             "INSERT INTO policy VALUES (%d);\n"
             "INSERT INTO accounts SELECT g, 0, %lld, 0 FROM generate_series(1, %d) AS g;\n"
             "INSERT INTO fee_shards SELECT g, 0 FROM generate_series(0, %d) AS g;\n"
             "ANALYZE;\n",
             BENCH_FEE_BPS, (long long)BENCH_CREDIT_LIMIT, BENCH_MEMBERS, BENCH_CLIENTS - 1);
    return execute(connection, schema, why, why_size) && execute(connection, load, why, why_size);
}

/* ---- the clients ---- */

/* Batches per client at most, of any workload. */
#define BATCHES_MAX 128
_Static_assert(BENCH_BATCHES_PER_CLIENT <= BATCHES_MAX && BENCH_PAYROLLS_PER_CLIENT <= BATCHES_MAX, "batches");

typedef struct {
    int index;
    const char *conninfo;
    const char *statement;
    pthread_barrier_t *start;
    int batches, payments_per_batch;
    /* a batch's arrays as libpq text parameters */
    char *payers[BATCHES_MAX], *payees[BATCHES_MAX];
    char *amounts[BATCHES_MAX], *max_fees[BATCHES_MAX];
    double latencies[BATCHES_MAX];
    uint64_t committed, refused;
    char error[256];
} pg_client;

static char *text_array(const int64_t *values, int count) {
    size_t capacity = (size_t)count * 21 + 3, at = 0;
    char *text = malloc(capacity);
    if (!text) return NULL;
    text[at++] = '{';
    for (int i = 0; i < count; i++) at += (size_t)snprintf(text + at, capacity - at, "%s%lld", i ? "," : "", (long long)values[i]);
    snprintf(text + at, capacity - at, "}");
    return text;
}

static void *pg_client_main(void *context) {
    pg_client *client = context;
    PGconn *connection = PQconnectdb(client->conninfo);
    bool ok = PQstatus(connection) == CONNECTION_OK;
    if (ok) {
        PGresult *prepared = PQprepare(connection, "batch", client->statement, 5, NULL);
        ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
        if (!ok) snprintf(client->error, sizeof client->error, "%s", PQresultErrorMessage(prepared));
        PQclear(prepared);
    } else {
        snprintf(client->error, sizeof client->error, "%s", PQerrorMessage(connection));
    }
    pthread_barrier_wait(client->start); /* connected and prepared: the clock starts */
    char shard[16];
    snprintf(shard, sizeof shard, "%d", client->index);
    for (int b = 0; ok && b < client->batches; b++) {
        const char *values[5] = {client->payers[b], client->payees[b], client->amounts[b], client->max_fees[b], shard};
        double start = bench_now_seconds();
        PGresult *result = PQexecPrepared(connection, "batch", 5, values, NULL, NULL, 0);
        client->latencies[b] = bench_now_seconds() - start;
        if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
            long done = strtol(PQgetvalue(result, 0, 0), NULL, 10);
            client->committed += (uint64_t)done;
            client->refused += (uint64_t)(client->payments_per_batch - done);
        } else {
            client->refused += (uint64_t)client->payments_per_batch;
            if (!client->error[0]) snprintf(client->error, sizeof client->error, "%s", PQresultErrorMessage(result));
        }
        PQclear(result);
    }
    PQfinish(connection);
    return NULL;
}

static int compare_seconds(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Builds every client's batches from the shared workload (account id = member + 1). */
enum { PAYMENTS_MAX = (int)BENCH_BATCH > (int)BENCH_PAYROLL_LINES ? (int)BENCH_BATCH : (int)BENCH_PAYROLL_LINES };
static bool build_batches(const bench_workload *workload, pg_client *clients) {
    uint64_t seed = 7;
    int64_t payers[PAYMENTS_MAX], payees[PAYMENTS_MAX], amounts[PAYMENTS_MAX], max_fees[PAYMENTS_MAX];
    int count = workload->payments_per_batch;
    for (int c = 0; c < BENCH_CLIENTS; c++)
        for (int b = 0; b < workload->batches_per_client; b++) {
            for (int i = 0; i < count; i++) {
                int payer, payee;
                workload->payment(&seed, c, b, i, &payer, &payee, &amounts[i]);
                payers[i] = payer + 1, payees[i] = payee + 1, max_fees[i] = BENCH_MAX_FEE;
            }
            pg_client *client = &clients[c];
            client->batches = workload->batches_per_client, client->payments_per_batch = count;
            client->payers[b] = text_array(payers, count);
            client->payees[b] = text_array(payees, count);
            client->amounts[b] = text_array(amounts, count);
            client->max_fees[b] = text_array(max_fees, count);
            if (!client->payers[b] || !client->payees[b] || !client->amounts[b] || !client->max_fees[b]) return false;
        }
    return true;
}

static void free_batches(pg_client *clients) {
    for (int c = 0; c < BENCH_CLIENTS; c++)
        for (int b = 0; b < clients[c].batches; b++) {
            free(clients[c].payers[b]), free(clients[c].payees[b]);
            free(clients[c].amounts[b]), free(clients[c].max_fees[b]);
        }
}

/* After the run: the balances and the fee shards sum to zero, and the journal holds
 * one row per committed transfer. */
static bool check_ledger(PGconn *connection, uint64_t committed, char *summary, size_t summary_size) {
    PGresult *result = PQexec(connection,
                              "SELECT (SELECT sum(balance) FROM accounts) + (SELECT sum(balance) FROM fee_shards), "
                              "(SELECT count(*) FROM transfers), (SELECT sum(balance) FROM fee_shards)");
    bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    if (ok) {
        long long sum = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
        unsigned long long rows = strtoull(PQgetvalue(result, 0, 1), NULL, 10);
        long long fees = strtoll(PQgetvalue(result, 0, 2), NULL, 10);
        ok = sum == 0 && rows == committed;
        snprintf(summary, summary_size, "balances + fees sum to %lld, %llu journal rows, %lld in fees", sum, rows, fees);
    } else {
        snprintf(summary, summary_size, "%s", PQresultErrorMessage(result));
    }
    PQclear(result);
    return ok;
}

/* One way of running the ledger: its own database in the cluster, and the function
 * every batch calls. */
typedef struct {
    const char *database;
    const char *function;
    const char *description;
    uint64_t committed, refused;
    double per_second, p50_ms, p99_ms;
} variant;

static void run_variant(PGconn *admin, unsigned port, pg_client *clients, variant *v) {
    char why[1024], sql[128], conninfo[200], statement[200];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", v->database);
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%u user=tally dbname=%s connect_timeout=10", port,
             v->database);
    snprintf(statement, sizeof statement,
             "SELECT %s($1::integer[], $2::integer[], $3::bigint[], $4::bigint[], $5::integer)", v->function);
    PGconn *ledger = NULL;
    if (!execute(admin, sql, why, sizeof why)) goto failed;
    ledger = PQconnectdb(conninfo);
    if (PQstatus(ledger) != CONNECTION_OK) {
        snprintf(why, sizeof why, "%s", PQerrorMessage(ledger));
        goto failed;
    }
    if (!create_ledger(ledger, why, sizeof why)) goto failed;

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, BENCH_CLIENTS + 1);
    pthread_t threads[BENCH_CLIENTS];
    for (int i = 0; i < BENCH_CLIENTS; i++) {
        clients[i].index = i, clients[i].conninfo = conninfo, clients[i].statement = statement;
        clients[i].start = &start, clients[i].committed = clients[i].refused = 0, clients[i].error[0] = '\0';
        pthread_create(&threads[i], NULL, pg_client_main, &clients[i]);
    }
    pthread_barrier_wait(&start);
    double started = bench_now_seconds();
    for (int i = 0; i < BENCH_CLIENTS; i++) pthread_join(threads[i], NULL);
    double elapsed = bench_now_seconds() - started;
    pthread_barrier_destroy(&start);

    int per_client = clients[0].batches, batches = BENCH_CLIENTS * per_client;
    double latencies[BENCH_CLIENTS * BATCHES_MAX];
    const char *error = NULL;
    for (int i = 0; i < BENCH_CLIENTS; i++) {
        v->committed += clients[i].committed, v->refused += clients[i].refused;
        memcpy(latencies + i * per_client, clients[i].latencies, (size_t)per_client * sizeof latencies[0]);
        if (clients[i].error[0] && !error) error = clients[i].error;
    }
    if (error) printf("postgres: a client failed: %s", error);
    qsort(latencies, (size_t)batches, sizeof latencies[0], compare_seconds);
    v->p50_ms = latencies[batches / 2] * 1e3, v->p99_ms = latencies[batches * 99 / 100] * 1e3;
    char summary[256];
    bool consistent = check_ledger(ledger, v->committed, summary, sizeof summary);
    v->per_second = consistent && !error ? (double)v->committed / elapsed : 0;
    printf("postgres: %s: %llu committed (%llu refused) in %.2f s: %.0f payments/s; batch commit latency p50 %.0f "
           "ms, p99 %.0f ms; %s (%s)\n",
           v->description, (unsigned long long)v->committed, (unsigned long long)v->refused, elapsed,
           (double)v->committed / elapsed, v->p50_ms, v->p99_ms, summary, consistent ? "consistent" : "INCONSISTENT");
    PQfinish(ledger);
    return;
failed:
    printf("postgres: %s: could not set up the ledger: %s\n", v->description, why);
    PQfinish(ledger);
}

void bench_pg(double tally_per_second, double *committed_per_second) {
    static const bench_workload transfers = {"transfers", BENCH_BATCHES_PER_CLIENT, BENCH_BATCH, bench_transfer_payment};
    bench_pg_workload(&transfers, tally_per_second, committed_per_second);
}

void bench_pg_workload(const bench_workload *workload, double tally_per_second, double *committed_per_second) {
    *committed_per_second = 0;
    cluster c;
    char why[1024];
    double setup_started = bench_now_seconds();
    if (!cluster_start(&c, why, sizeof why)) {
        printf("postgres: skipped: %s\n", why);
        cluster_remove(&c);
        return;
    }
    char conninfo[160];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%u user=tally dbname=postgres connect_timeout=10",
             c.port);
    PGconn *admin = PQconnectdb(conninfo);
    pg_client *clients = calloc(BENCH_CLIENTS, sizeof *clients);
    if (PQstatus(admin) != CONNECTION_OK) {
        printf("postgres: skipped: cannot connect: %s", PQerrorMessage(admin));
        goto done;
    }
    if (!clients || !build_batches(workload, clients)) {
        printf("postgres: skipped: out of memory\n");
        goto done;
    }
    int version = PQserverVersion(admin);
    printf("postgres: PostgreSQL %d.%d, a fresh cluster on 127.0.0.1:%u (set up in %.1f s); fsync, "
           "synchronous_commit and full_page_writes on\n",
           version / 10000, version % 10000, c.port, bench_now_seconds() - setup_started);
    printf("postgres: %s: %d clients x %d batches of %d payments over libpq; a batch is one prepared call of a "
           "PL/pgSQL function (its accounts locked FOR UPDATE in id order, limit, cap and %d bps fee checks, "
           "journalled) and one durable commit\n",
           workload->what, BENCH_CLIENTS, workload->batches_per_client, workload->payments_per_batch, BENCH_FEE_BPS);
    variant variants[] = {
        {"queued", "transfer_batch_queued", "row locks behind an advisory lock (batches queue in order)", 0, 0, 0, 0, 0},
        {"row_locks", "transfer_batch", "row locks alone (colliding batches wait on each other's rows)", 0, 0, 0, 0, 0},
    };
    const variant *best = NULL;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        run_variant(admin, c.port, clients, &variants[i]);
        if (!best || variants[i].per_second > best->per_second) best = &variants[i];
    }
    *committed_per_second = best->per_second;
    if (tally_per_second > 0 && best->per_second > 0)
        printf("postgres: %s: the better way, %.0f payments/s, against Tally end to end in this run, %.0f payments/s: "
               "Tally / PostgreSQL = %.2f (Tally also verifies an Ed25519 signature per %s; PostgreSQL trusts "
               "its connections)\n",
               workload->what, best->per_second, tally_per_second, tally_per_second / best->per_second,
               workload->payments_per_batch > 1 && workload->payment != bench_transfer_payment ? "batch" : "transfer");
done:
    if (clients) free_batches(clients);
    free(clients);
    PQfinish(admin);
    cluster_remove(&c);
}

#else /* no libpq-fe.h: built without libpq-dev */

void bench_pg_workload(const bench_workload *workload, double tally_per_second, double *committed_per_second) {
    (void)workload, (void)tally_per_second;
    *committed_per_second = 0;
    printf("postgres: skipped: built without libpq (scripts/install-deps.sh installs libpq-dev)\n");
}

void bench_pg(double tally_per_second, double *committed_per_second) {
    bench_pg_workload(NULL, tally_per_second, committed_per_second);
}

#endif
