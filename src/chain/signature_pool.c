/*
 * signature_pool.c: threads that check signatures on every core (see
 * tally_signature_pool_start in tally_chain.h). The node checks what it admits
 * here, and a replay checks the blocks ahead of the one it applies. A job is a
 * count of checks; the threads take jobs in the order submitted, VERIFY_CHUNK
 * checks at a time, so that many submitters never run more checks at once than
 * there are threads (more would only thrash the caches), and a large job is
 * spread over all of them. The core never starts a thread: this is the chain
 * layer's.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "tally_chain.h"

/* Checks taken at once: one lock round trip per ~1 ms of Ed25519 work. */
enum { VERIFY_CHUNK = 16 };

struct tally_signature_job {
    tally_signature_check_fn *check;
    const void *context;
    bool *valid;
    uint32_t count, next, done;
    pthread_cond_t finished;
    struct tally_signature_job *queue_next;
};

struct tally_signature_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    tally_signature_job *head, *tail; /* queued jobs with checks not yet taken */
    pthread_t threads[TALLY_SIGNATURE_THREADS_MAX];
    uint32_t thread_count;
    bool stop;
};

static void check_range(const tally_signature_job *job, uint32_t begin, uint32_t end) {
    for (uint32_t i = begin; i < end; i++)
        if (job->valid[i]) job->valid[i] = job->check(job->context, i);
}

static void *checker_main(void *context) {
    tally_signature_pool *pool = context;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->stop) pthread_cond_wait(&pool->work, &pool->lock);
        if (!pool->head) break;
        tally_signature_job *job = pool->head;
        uint32_t begin = job->next;
        uint32_t end = job->count - begin > VERIFY_CHUNK ? begin + VERIFY_CHUNK : job->count;
        job->next = end;
        if (end == job->count) {
            pool->head = job->queue_next;
            if (!pool->head) pool->tail = NULL;
        }
        pthread_mutex_unlock(&pool->lock);
        check_range(job, begin, end);
        pthread_mutex_lock(&pool->lock);
        job->done += end - begin;
        if (job->done == job->count) pthread_cond_signal(&job->finished);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

tally_signature_pool *tally_signature_pool_start(uint32_t threads) {
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (uint32_t)cores : 1u;
    }
    if (threads > TALLY_SIGNATURE_THREADS_MAX) threads = TALLY_SIGNATURE_THREADS_MAX;
    tally_signature_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL) return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    for (; pool->thread_count < threads; pool->thread_count++) {
        if (pthread_create(&pool->threads[pool->thread_count], NULL, checker_main, pool) != 0) break;
        pthread_setname_np(pool->threads[pool->thread_count], "tally-verifier"); /* for profiles */
    }
    if (pool->thread_count == 0) {
        tally_signature_pool_stop(pool);
        return NULL;
    }
    return pool;
}

uint32_t tally_signature_pool_threads(const tally_signature_pool *pool) {
    return pool == NULL ? 0 : pool->thread_count;
}

void tally_signature_pool_stop(tally_signature_pool *pool) {
    if (pool == NULL) return;
    pthread_mutex_lock(&pool->lock);
    assert(pool->head == NULL); /* every job was waited for */
    pool->stop = true;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (uint32_t i = 0; i < pool->thread_count; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

tally_signature_job *tally_signature_pool_submit(tally_signature_pool *pool, tally_signature_check_fn *check,
                                                 const void *context, uint32_t count, bool *valid) {
    assert(check != NULL && (valid != NULL || count == 0));
    if (count == 0) return NULL;
    tally_signature_job *job = pool != NULL ? calloc(1, sizeof *job) : NULL;
    if (job == NULL) {
        /* No pool or no memory for the job: the same checks, on this thread. */
        tally_signature_job inline_job = {.check = check, .context = context, .valid = valid, .count = count};
        check_range(&inline_job, 0, count);
        return NULL;
    }
    *job = (tally_signature_job){.check = check, .context = context, .valid = valid, .count = count};
    pthread_cond_init(&job->finished, NULL);
    pthread_mutex_lock(&pool->lock);
    if (pool->tail) pool->tail->queue_next = job;
    else pool->head = job;
    pool->tail = job;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    return job;
}

void tally_signature_pool_wait(tally_signature_pool *pool, tally_signature_job *job) {
    if (job == NULL) return;
    assert(pool != NULL);
    pthread_mutex_lock(&pool->lock);
    while (job->done < job->count) pthread_cond_wait(&job->finished, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    pthread_cond_destroy(&job->finished);
    free(job);
}

static bool check_tx(const void *context, uint32_t index) {
    const tally_tx *txs = context;
    return tally_tx_verify(&txs[index]);
}

void tally_signature_pool_check_txs(tally_signature_pool *pool, const tally_tx *txs, uint32_t count, bool *valid) {
    tally_signature_pool_wait(pool, tally_signature_pool_submit(pool, check_tx, txs, count, valid));
}
