/* threadpool.c — a small fixed pool for ember_parallel_for (host build only).
 *
 * The calling thread runs task 0 itself and workers take the others; a run
 * returns when every task is done. One run at a time per pool. */
#include <stdlib.h>

#include "runtime.h"

#if defined(EMBER_HOST)
#include <pthread.h>

struct ember_threadpool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t *threads;
    int n_threads;           /* workers, excluding the caller */
    unsigned long generation;
    int stop;
    ember_task_fn fn;
    void *arg;
    int n_tasks, next_task, remaining;
};

static void run_tasks(ember_threadpool *p) {
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int t = p->next_task < p->n_tasks ? p->next_task++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (t < 0) return;
        p->fn(p->arg, t, p->n_tasks);
        pthread_mutex_lock(&p->lock);
        if (--p->remaining == 0) pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->lock);
    }
}

static void *worker(void *arg) {
    ember_threadpool *p = arg;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->work, &p->lock);
        if (p->stop) { pthread_mutex_unlock(&p->lock); return NULL; }
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p);
    }
}

ember_threadpool *ember_threadpool_create(int n_threads) {
    ember_threadpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads - 1;
    p->threads = calloc((size_t)(p->n_threads > 0 ? p->n_threads : 1), sizeof *p->threads);
    if (!p->threads) { free(p); return NULL; }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < p->n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            p->n_threads = i;
            break;
        }
    }
    return p;
}

void ember_threadpool_destroy(ember_threadpool *p) {
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

void ember_threadpool_run(ember_threadpool *p, int n_tasks, ember_task_fn fn, void *arg) {
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    p->next_task = 0;
    p->remaining = n_tasks;
    p->generation++;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    run_tasks(p);
    pthread_mutex_lock(&p->lock);
    while (p->remaining > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

#else   /* bare metal: no threads; ember_parallel_for runs tasks inline */

ember_threadpool *ember_threadpool_create(int n_threads) { (void)n_threads; return NULL; }
void ember_threadpool_destroy(ember_threadpool *p) { (void)p; }
void ember_threadpool_run(ember_threadpool *p, int n_tasks, ember_task_fn fn, void *arg) {
    (void)p;
    for (int t = 0; t < n_tasks; t++) fn(arg, t, n_tasks);
}
#endif
