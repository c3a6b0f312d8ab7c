/*
 * etcd_cluster.h: real etcd clusters for tests. etcd_cluster_start starts 1..5
 * members of the installed etcd (Debian's etcd-server) as child processes on free
 * loopback ports in 24000..28999 (tested by binding them first; never 2379/2380),
 * each with its own data directory under one fresh /tmp/tally-etcd-XXXXXX directory
 * that also holds their logs (mN.log), with short raft timers (50 ms heartbeats,
 * 500 ms elections) so a failover takes about a second. Members are stopped by
 * their process id; they also die with the test runner (PR_SET_PDEATHSIG), so a
 * crashed run leaves none behind. Start clusters from the runner's main thread
 * (the death signal follows the thread that started them).
 */
#ifndef TALLY_TEST_ETCD_CLUSTER_H
#define TALLY_TEST_ETCD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ETCD_CLUSTER_MEMBERS_MAX 5u

typedef struct {
    pid_t pid; /* 0: not running */
    unsigned client_port;
    unsigned peer_port;
    char url[64];      /* http://127.0.0.1:client_port */
    char peer_url[64]; /* http://127.0.0.1:peer_port */
} etcd_member;

/* TLS on the members' client ports (etcd_cluster_start_tls): PEM files, made by
 * etcd_cluster_make_certificates in `directory` (ca.pem; server.pem and server.key for
 * the members, for IP 127.0.0.1; client.pem and client.key for their clients; and
 * other-ca.pem, a CA that signed none of them). */
typedef struct {
    char directory[64];
    char ca[96], server_cert[96], server_key[96], client_cert[96], client_key[96], other_ca[96];
} etcd_certificates;

typedef struct {
    uint32_t count;
    etcd_member members[ETCD_CLUSTER_MEMBERS_MAX];
    const etcd_certificates *tls; /* NULL: plain http */
    char directory[64]; /* "" once stopped */
    char urls[ETCD_CLUSTER_MEMBERS_MAX * 64];
    char binary[256];
    char token[64];
} etcd_cluster;

/* Starts count (1..ETCD_CLUSTER_MEMBERS_MAX) members and waits until each answers
 * /health (up to 20 s). false with a sentence in why when etcd is missing ("etcd is
 * not installed: run scripts/install-deps.sh (Debian package etcd-server)") or a
 * member did not come up; whatever started is stopped again. binary NULL: etcd
 * from PATH. */
bool etcd_cluster_start(etcd_cluster *cluster, uint32_t count, char *why, size_t why_size);
bool etcd_cluster_start_binary(etcd_cluster *cluster, uint32_t count, const char *binary, char *why,
                               size_t why_size);
/* Makes the certificates with openssl (Debian's package) in a fresh directory under
 * /tmp; false with why when openssl is missing or fails. Remove with
 * etcd_cluster_remove_certificates. */
bool etcd_cluster_make_certificates(etcd_certificates *certificates, char *why, size_t why_size);
void etcd_cluster_remove_certificates(etcd_certificates *certificates);
/* As etcd_cluster_start, with https:// client URLs that require a client certificate
 * signed by the certificates' CA (--client-cert-auth); the harness's own /health
 * requests present client.pem. The certificates must outlive the cluster. */
bool etcd_cluster_start_tls(etcd_cluster *cluster, uint32_t count, const etcd_certificates *certificates,
                            char *why, size_t why_size);
/* The client URL of member i, and all of them joined by commas. */
const char *etcd_cluster_url(const etcd_cluster *cluster, uint32_t member);
const char *etcd_cluster_urls(const etcd_cluster *cluster);
/* kill -9 of member i (a crash), waiting for it to be gone. */
void etcd_cluster_kill(etcd_cluster *cluster, uint32_t member);
/* Starts member i again on its data directory and ports (--initial-cluster-state
 * existing) and waits until it answers /health. */
bool etcd_cluster_restart(etcd_cluster *cluster, uint32_t member, char *why, size_t why_size);
/* The index of the member that is raft leader according to the running members,
 * or -1 when none says. */
int etcd_cluster_leader(const etcd_cluster *cluster);
/* SIGTERM to every member, SIGKILL after 3 s, then removes the directory. Safe to
 * call twice, and on a cluster whose start failed. */
void etcd_cluster_stop(etcd_cluster *cluster);

#endif
