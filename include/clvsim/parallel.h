/* clvsim/parallel.h - run independent units of work on a few threads, deterministically.
 *
 * Work is cut into units whose results do not depend on which thread runs
 * them (a unit seeds its own random stream from its index, see rng.h, and
 * writes its result into a slot indexed by the unit).  The caller reduces the
 * slots in unit order afterwards, so the outcome is the same for any thread
 * count.  Threads claim units from a shared counter; a worker index in
 * [0, threads) is passed so that a unit can use per-worker scratch memory.
 *
 * The threads are a persistent pool: the calling thread is worker 0, and
 * helper threads are created on first need (as many as the largest thread
 * count asked for, less one), then parked on a condition variable between
 * calls (no spinning) and reused, so a call costs a wake-up, not a thread
 * creation (make bench SECTIONS=parallel).  Helpers block all signals, so
 * a signal (Ctrl-C) reaches the program's own threads.  One call at a
 * time uses the pool: a call of clv_parallel_for made while another runs -
 * nested, from inside a unit, or concurrent, from another thread of the
 * program - runs on threads of its own, created and joined for that call
 * (so that the cores do not idle while an outer loop's last long units
 * make nested calls); one of clv_parallel_for_keyed runs all of its units
 * on its own caller's thread in unit order.  By the contract above both
 * give the same results.  The pool is shut down at exit
 * (atexit) or by clv_parallel_shutdown.  After fork() the child starts
 * with no helpers and creates its own on its first call; forking while
 * another thread is inside a call leaves the child running every call on
 * its caller's thread.
 */
#ifndef CLVSIM_PARALLEL_H
#define CLVSIM_PARALLEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_THREADS_MAX = 256 };

/* Run one unit.  Returns CLV_OK or an error status; after an error no new
 * units are started. */
typedef int (*clv_unit_fn)(size_t unit, int worker, void *ctx);

/* The number of threads to use for a request: requested when it is >= 1
 * (capped at CLV_THREADS_MAX), else the number of online processors. */
int clv_threads_resolve(int requested);

/* Call fn(unit, worker, ctx) for every unit in [0, n_units) on `threads`
 * threads (resolved with clv_threads_resolve; never more than n_units).  The
 * calling thread is worker 0; with one thread (or a busy pool, see above)
 * everything runs on it in unit order.  Returns CLV_OK or the status of the smallest failing unit, which
 * is the same as a sequential run would return.  fn reports the details of
 * a failure through ctx (e.g. a clv_error per unit or per worker). */
int clv_parallel_for(int threads, size_t n_units, clv_unit_fn fn, void *ctx);

/* clv_parallel_for for units that share resources: units u and v with the
 * same key (u mod n_keys = v mod n_keys) never run at the same time, e.g.
 * the runs (row, column) of a row-major grid with n_keys columns, each
 * column owning something that one thread at a time may use.  A worker
 * takes the smallest unclaimed unit whose key is free (at most n_keys
 * workers); with one thread the units run in order.  Returns CLV_OK, the
 * status of the smallest failing unit (as a sequential run would), or
 * CLV_ENOMEM when the bookkeeping (n_units + n_keys bytes) cannot be
 * allocated, CLV_EINPUT for n_keys 0. */
int clv_parallel_for_keyed(int threads, size_t n_units, size_t n_keys, clv_unit_fn fn, void *ctx);

/* Join the pool's helper threads and free them; the next call creates them
 * again.  Returns CLV_OK, or CLV_EINPUT (and does nothing) while a call is
 * running on another thread.  Registered with atexit on first use, so a
 * program need not call it; useful before a leak check or to give the
 * threads back in a long-lived program. */
int clv_parallel_shutdown(void);

/* The number of helper threads the pool holds now (0 before the first call
 * with threads > 1 and after clv_parallel_shutdown). */
int clv_parallel_helpers(void);

/* The fork-join loop without the pool: the same contract as
 * clv_parallel_for, with threads created and joined in every call.  What a
 * nested or concurrent clv_parallel_for runs, and the reference of the
 * pool's per-call cost (bench section "parallel"). */
int clv__parallel_for_create_join(int threads, size_t n_units, clv_unit_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
