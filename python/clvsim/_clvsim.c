/* _clvsim.c - the CPython extension under the clvsim Python package: a thin layer over the
 * public C API (the headers of include/clvsim), linked against build/libclvsim.a.
 *
 * It needs no numpy headers: arrays cross the boundary through the buffer
 * protocol (the Python layer, python/clvsim/__init__.py, makes numpy arrays
 * and passes them in to be filled), so observations and rewards are written
 * straight into the caller's arrays, with no copy in between; the results
 * of whole jobs (predict_ltv's values, train_ltv's curves) come back as
 * bytes of doubles, which that layer views as numpy arrays.
 *
 * Errors: a failing C call raises clvsim.Error (a ValueError) whose
 * message is clv_error_format's "FILE:LINE: field: message" and whose
 * attributes file, line, field, msg and code are the clv_error's.
 *
 * Ctrl-C: during a call that may take long (a reset's burn-in, an
 * evaluation) the GIL is released and SIGINT goes to a handler of this
 * module that sets a flag which the library polls through
 * clv_progress.cancelled; the call then returns CLV_ECANCELLED and
 * KeyboardInterrupt is raised.  Python's own handler is restored on return.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "clvsim/clvsim.h"

enum { NOBS = 18, NDAY = 17 };

static PyObject *ClvError; /* clvsim.Error */

/* ---- errors ---- */

static PyObject *raise_clv(int st, const clv_error *err)
{
    if (st == CLV_ECANCELLED) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        return NULL;
    }
    char buf[CLV_ERROR_FILE_MAX + CLV_ERROR_FIELD_MAX + CLV_ERROR_MSG_MAX + 64];
    clv_error_format(err, buf, sizeof buf);
    PyObject *args = Py_BuildValue("(s)", buf);
    if (!args)
        return NULL;
    PyObject *e = PyObject_Call(ClvError, args, NULL);
    Py_DECREF(args);
    if (!e)
        return NULL;
    int ok = 1;
    PyObject *v;
    if ((v = PyLong_FromLong(st))) { ok &= PyObject_SetAttrString(e, "code", v) == 0; Py_DECREF(v); } else ok = 0;
    if ((v = PyUnicode_DecodeUTF8(err->file, (Py_ssize_t)strlen(err->file), "replace"))) {
        ok &= PyObject_SetAttrString(e, "file", v) == 0; Py_DECREF(v); } else ok = 0;
    if ((v = PyLong_FromLong(err->line))) { ok &= PyObject_SetAttrString(e, "line", v) == 0; Py_DECREF(v); } else ok = 0;
    if ((v = PyUnicode_DecodeUTF8(err->field, (Py_ssize_t)strlen(err->field), "replace"))) {
        ok &= PyObject_SetAttrString(e, "field", v) == 0; Py_DECREF(v); } else ok = 0;
    if ((v = PyUnicode_DecodeUTF8(err->msg, (Py_ssize_t)strlen(err->msg), "replace"))) {
        ok &= PyObject_SetAttrString(e, "msg", v) == 0; Py_DECREF(v); } else ok = 0;
    if ((v = PyUnicode_FromString(clv_strstatus(st)))) { ok &= PyObject_SetAttrString(e, "status", v) == 0; Py_DECREF(v); } else ok = 0;
    if (ok)
        PyErr_SetObject(ClvError, e);
    Py_DECREF(e);
    return NULL;
}

/* ---- Ctrl-C during long calls ---- */

static volatile sig_atomic_t interrupted;
static int sig_depth;             /* nesting of guarded calls (changed with the GIL held) */
static struct sigaction sig_saved;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int poll_interrupted(void *ctx)
{
    (void)ctx;
    return interrupted != 0;
}

static const clv_progress interrupt_progress = {NULL, NULL, poll_interrupted};

/* with the GIL held, before releasing it */
static void guard_begin(void)
{
    if (sig_depth++ == 0) {
        interrupted = 0;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, &sig_saved) != 0)
            sig_saved.sa_handler = SIG_ERR;
    }
}

/* with the GIL held again: restores Python's handler; 1 if Ctrl-C came */
static int guard_end(void)
{
    int hit = interrupted != 0;
    if (--sig_depth == 0) {
        if (sig_saved.sa_handler != SIG_ERR)
            sigaction(SIGINT, &sig_saved, NULL);
        interrupted = 0;
    }
    return hit;
}

/* ---- buffers ---- */

/* a C-contiguous writable (or readable) buffer of at least n items of size itemsize */
static int get_buf(PyObject *o, Py_buffer *b, int writable, size_t n, size_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) != 0)
        return -1;
    if ((size_t)b->len < n * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: a buffer of %zu bytes is too small (%zu needed)", what, (size_t)b->len,
                     n * itemsize);
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

/* one observation as NOBS doubles, in the order of OBS_NAMES */
static void obs_row(const clv_sim_obs *o, double *r)
{
    r[0] = o->stage;
    r[1] = o->purchases;
    r[2] = o->recency_days;
    r[3] = o->age_days;
    r[4] = o->total_spend;
    r[5] = o->first_spend;
    r[6] = o->last_spend;
    r[7] = o->max_spend;
    r[8] = o->mean_gap_days;
    r[9] = o->recent[0];
    r[10] = o->recent[1];
    r[11] = o->recent[2];
    r[12] = o->coupons;
    r[13] = o->coupon_age_days;
    r[14] = o->holds_coupon;
    r[15] = o->price_level;
    r[16] = o->price;
    r[17] = o->today;
}

static const char *const OBS_NAMES[NOBS] = {
    "stage", "purchases", "recency_days", "age_days", "total_spend", "first_spend", "last_spend", "max_spend",
    "mean_gap_days", "recent_7", "recent_30", "recent_90", "coupons", "coupon_age_days", "holds_coupon",
    "price_level", "price", "today"};

static const char *const DAY_NAMES[NDAY] = {
    "day", "purchases", "first_purchases", "revenue", "cost_of_goods", "coupon_cost", "net_margin",
    "coupons_sent", "coupons_refused", "redemptions", "alive", "customers",
    "new", "active", "loyal", "at_risk", "churned"};

static PyObject *names_tuple(const char *const *names, int n)
{
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

/* ---- Scenario ---- */

typedef struct {
    PyObject_HEAD
    clv_scenario *scn;
} ScenarioObject;

static void Scenario_dealloc(ScenarioObject *self)
{
    free(self->scn);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Scenario(path, overrides=()) with overrides a sequence of (key, value) string pairs */
static int Scenario_init(ScenarioObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "overrides", NULL};
    PyObject *path_o = NULL, *ov_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O", kwlist, PyUnicode_FSConverter, &path_o, &ov_o))
        return -1;
    PyObject *seq = NULL;
    clv_scn_override *ov = NULL;
    Py_ssize_t n = 0;
    int rc = -1;
    if (ov_o && ov_o != Py_None) {
        if (!(seq = PySequence_Fast(ov_o, "overrides: a sequence of (key, value) pairs")))
            goto out;
        n = PySequence_Fast_GET_SIZE(seq);
        if (n > 0 && !(ov = calloc((size_t)n, sizeof *ov))) {
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(it, 0)) ||
                !PyUnicode_Check(PyTuple_GET_ITEM(it, 1))) {
                PyErr_SetString(PyExc_TypeError, "overrides: each one a (key, value) pair of strings");
                goto out;
            }
            if (!(ov[i].key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(it, 0))) ||
                !(ov[i].value = PyUnicode_AsUTF8(PyTuple_GET_ITEM(it, 1))))
                goto out;
            ov[i].origin = "overrides";
        }
    }
    clv_scenario *scn = malloc(sizeof *scn);
    if (!scn) {
        PyErr_NoMemory();
        goto out;
    }
    clv_error err;
    clv_error_clear(&err);
    int st = clv_scn_load(PyBytes_AS_STRING(path_o), ov, (size_t)n, scn, &err);
    if (st != CLV_OK) {
        free(scn);
        raise_clv(st, &err);
        goto out;
    }
    free(self->scn);
    self->scn = scn;
    rc = 0;
out:
    free(ov);
    Py_XDECREF(seq);
    Py_XDECREF(path_o);
    return rc;
}

static int scn_ready(ScenarioObject *s)
{
    if (!s->scn) {
        PyErr_SetString(PyExc_RuntimeError, "Scenario not loaded");
        return 0;
    }
    return 1;
}

static PyObject *Scenario_info(ScenarioObject *self, PyObject *noargs)
{
    (void)noargs;
    if (!scn_ready(self))
        return NULL;
    const clv_scenario *s = self->scn;
    PyObject *prices = PyTuple_New(s->interventions.n_prices);
    PyObject *coupons = PyTuple_New(s->interventions.n_coupons);
    if (!prices || !coupons) {
        Py_XDECREF(prices);
        Py_XDECREF(coupons);
        return NULL;
    }
    for (int k = 0; k < s->interventions.n_prices; k++)
        PyTuple_SET_ITEM(prices, k, PyFloat_FromDouble(s->interventions.prices[k]));
    for (int k = 0; k < s->interventions.n_coupons; k++)
        PyTuple_SET_ITEM(coupons, k, PyUnicode_FromString(s->interventions.coupons[k].name));
    return Py_BuildValue("{s:s,s:s,s:L,s:N,s:N,s:i,s:s,s:i,s:d,s:d}", "name", s->scenario.name, "source",
                         s->source, "seed", (long long)s->scenario.seed, "prices", prices, "coupons", coupons,
                         "list_price", clv_scn_list_price(s), "currency", s->economics.currency, "replications",
                         s->evaluation.replications, "confidence", s->evaluation.confidence, "scale", s->run.scale);
}

static PyMethodDef Scenario_methods[] = {
    {"info", (PyCFunction)Scenario_info, METH_NOARGS, "info() -> dict of the scenario's main keys"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScenarioType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clvsim._clvsim.Scenario",
    .tp_basicsize = sizeof(ScenarioObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scenario(path, overrides=()): a scenario file loaded by clv_scn_load",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scenario_init,
    .tp_dealloc = (destructor)Scenario_dealloc,
    .tp_methods = Scenario_methods,
};

/* ---- Sim: a world and one state in it ---- */

typedef struct {
    PyObject_HEAD
    clv_world *world;
    clv_sim *sim;
    clv_sim_obs *obs;     /* capacity observations */
    clv_action *act;      /* capacity actions */
    int n_coupons, n_prices;
    int busy;             /* a call with the GIL released is running */
} SimObject;

static void Sim_dealloc(SimObject *self)
{
    clv_sim_free(self->sim);
    clv_world_free(self->world);
    free(self->obs);
    free(self->act);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Sim(scenario, threads=1) */
static int Sim_init(SimObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"scenario", "threads", NULL};
    ScenarioObject *so;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|i", kwlist, &ScenarioType, &so, &threads))
        return -1;
    if (!scn_ready(so))
        return -1;
    if (self->sim) {
        PyErr_SetString(PyExc_RuntimeError, "Sim already initialised");
        return -1;
    }
    if (threads < 0) {
        PyErr_SetString(PyExc_ValueError, "threads: 0 (all processors) or more");
        return -1;
    }
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = threads;
    o.progress = &interrupt_progress;
    clv_error err;
    clv_error_clear(&err);
    int st = clv_world_alloc(so->scn, &o, &self->world, &err);
    if (st == CLV_OK)
        st = clv_sim_alloc_in(self->world, &o, &self->sim, &err);
    if (st != CLV_OK) {
        raise_clv(st, &err);
        return -1;
    }
    size_t cap = clv_world_capacity(self->world);
    self->obs = malloc((cap ? cap : 1) * sizeof *self->obs);
    self->act = malloc((cap ? cap : 1) * sizeof *self->act);
    if (!self->obs || !self->act) {
        PyErr_NoMemory();
        return -1;
    }
    self->n_coupons = so->scn->interventions.n_coupons;
    self->n_prices = so->scn->interventions.n_prices;
    return 0;
}

static int sim_ready(SimObject *s)
{
    if (!s->sim) {
        PyErr_SetString(PyExc_RuntimeError, "Sim not initialised");
        return 0;
    }
    if (s->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Sim in use by another thread");
        return 0;
    }
    return 1;
}

/* reset(seed, replication) */
static PyObject *Sim_reset(SimObject *self, PyObject *args)
{
    unsigned long long seed, rep;
    if (!PyArg_ParseTuple(args, "KK", &seed, &rep) || !sim_ready(self))
        return NULL;
    clv_error err;
    clv_error_clear(&err);
    int st;
    self->busy = 1;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_sim_reset(self->sim, (uint64_t)seed, (uint64_t)rep, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    self->busy = 0;
    if (st != CLV_OK || hit)
        return raise_clv(hit ? CLV_ECANCELLED : st, &err);
    Py_RETURN_NONE;
}

/* observe(out) -> n: the observations of the customers [0, n) into out (float64, n x NOBS) */
static PyObject *Sim_observe(SimObject *self, PyObject *arg)
{
    if (!sim_ready(self))
        return NULL;
    size_t n = clv_sim_customers(self->sim);
    Py_buffer b;
    if (get_buf(arg, &b, 1, n * NOBS, sizeof(double), "observe") != 0)
        return NULL;
    clv_error err;
    clv_error_clear(&err);
    int st = clv_sim_observe(self->sim, 0, n, self->obs, &err);
    if (st == CLV_OK) {
        double *r = b.buf;
        for (size_t i = 0; i < n; i++)
            obs_row(&self->obs[i], r + i * NOBS);
    }
    PyBuffer_Release(&b);
    if (st != CLV_OK)
        return raise_clv(st, &err);
    return PyLong_FromSize_t(n);
}

/* step(actions, margin) -> n: actions (uint8, n x 2: coupon level, price level; None: no campaign),
 * each customer's net margin of the epoch into margin (float64, n) */
static PyObject *Sim_step(SimObject *self, PyObject *args)
{
    PyObject *a_o, *m_o;
    if (!PyArg_ParseTuple(args, "OO", &a_o, &m_o) || !sim_ready(self))
        return NULL;
    size_t n = clv_sim_customers(self->sim);
    Py_buffer ab = {0}, mb;
    int have_a = a_o != Py_None;
    if (have_a && get_buf(a_o, &ab, 0, 2 * n, 1, "step: actions") != 0)
        return NULL;
    if (get_buf(m_o, &mb, 1, n, sizeof(double), "step: margin") != 0) {
        if (have_a)
            PyBuffer_Release(&ab);
        return NULL;
    }
    if (have_a) {
        const uint8_t *p = ab.buf;
        for (size_t i = 0; i < n; i++)
            self->act[i] = (clv_action){p[2 * i], p[2 * i + 1]};
    }
    clv_error err;
    clv_error_clear(&err);
    int st = clv_sim_step(self->sim, have_a ? self->act : NULL, mb.buf, &err);
    if (have_a)
        PyBuffer_Release(&ab);
    PyBuffer_Release(&mb);
    if (st != CLV_OK)
        return raise_clv(st, &err);
    return PyLong_FromSize_t(n);
}

/* truth(segment, alive) -> n: ground truth (int32 segment, int8 alive, n each) */
static PyObject *Sim_truth(SimObject *self, PyObject *args)
{
    PyObject *s_o, *a_o;
    if (!PyArg_ParseTuple(args, "OO", &s_o, &a_o) || !sim_ready(self))
        return NULL;
    size_t n = clv_sim_customers(self->sim);
    Py_buffer sb, ab;
    if (get_buf(s_o, &sb, 1, n, sizeof(int32_t), "truth: segment") != 0)
        return NULL;
    if (get_buf(a_o, &ab, 1, n, 1, "truth: alive") != 0) {
        PyBuffer_Release(&sb);
        return NULL;
    }
    int32_t *seg = sb.buf;
    int8_t *alive = ab.buf;
    for (size_t i = 0; i < n; i++) {
        seg[i] = clv_sim_segment(self->sim, i);
        alive[i] = (int8_t)clv_sim_alive(self->sim, i);
    }
    PyBuffer_Release(&sb);
    PyBuffer_Release(&ab);
    return PyLong_FromSize_t(n);
}

/* sent(out) -> n: the coupon level the last step sent to customers [0, n) (uint8) */
static PyObject *Sim_sent(SimObject *self, PyObject *arg)
{
    if (!sim_ready(self))
        return NULL;
    size_t n = clv_sim_customers(self->sim);
    Py_buffer b;
    if (get_buf(arg, &b, 1, n, 1, "sent") != 0)
        return NULL;
    uint8_t *p = b.buf;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)clv_sim_sent(self->sim, i);
    PyBuffer_Release(&b);
    return PyLong_FromSize_t(n);
}

/* days(out=None) -> number of days; with out (float64, days x NDAY) fills it */
static PyObject *Sim_days(SimObject *self, PyObject *args)
{
    PyObject *o = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &o) || !sim_ready(self))
        return NULL;
    size_t nd;
    const clv_sim_day *d = clv_sim_days(self->sim, &nd);
    if (o != Py_None) {
        Py_buffer b;
        if (get_buf(o, &b, 1, nd * NDAY, sizeof(double), "days") != 0)
            return NULL;
        double *r = b.buf;
        for (size_t k = 0; k < nd; k++, r += NDAY) {
            const double v[12] = {d[k].day,         d[k].purchases,      d[k].first_purchases, d[k].revenue,
                                  d[k].cost_of_goods, d[k].coupon_cost,  d[k].net_margin,      d[k].coupons_sent,
                                  d[k].coupons_refused, d[k].redemptions, d[k].alive,          d[k].customers};
            memcpy(r, v, sizeof v);
            for (int q = 0; q < CLV_STAGE_N; q++)
                r[12 + q] = d[k].stage[q];
        }
        PyBuffer_Release(&b);
    }
    return PyLong_FromSize_t(nd);
}

static PyObject *Sim_state(SimObject *self, PyObject *noargs)
{
    (void)noargs;
    if (!sim_ready(self))
        return NULL;
    const clv_sim *s = self->sim;
    return Py_BuildValue("{s:n,s:n,s:n,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "customers",
                         (Py_ssize_t)clv_sim_customers(s), "capacity", (Py_ssize_t)clv_sim_capacity(s),
                         "existing", (Py_ssize_t)clv_world_customers(self->world), "epoch", clv_sim_epoch(s),
                         "epochs", clv_sim_epochs(s), "today", (int)clv_sim_today(s), "done", clv_sim_done(s),
                         "list_price", clv_sim_list_price(s), "horizon_days", clv_world_horizon_days(self->world),
                         "n_coupons", self->n_coupons, "n_prices", self->n_prices);
}

/* run(policy_name, scenario) -> epochs stepped: the remaining epochs under a built-in policy
 * (clv_policy_fixed with the scenario's seed, clv_sim_run), as clvsim simulate runs them */
static PyObject *Sim_run(SimObject *self, PyObject *args)
{
    const char *name;
    ScenarioObject *so;
    if (!PyArg_ParseTuple(args, "sO!", &name, &ScenarioType, &so) || !sim_ready(self) || !scn_ready(so))
        return NULL;
    clv_policy pol;
    clv_error err;
    clv_error_clear(&err);
    int st = clv_policy_fixed(so->scn, name, (uint64_t)so->scn->scenario.seed, &pol, &err);
    if (st != CLV_OK)
        return raise_clv(st, &err);
    const int e0 = clv_sim_epoch(self->sim);
    self->busy = 1;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_sim_run(self->sim, &pol, &interrupt_progress, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    self->busy = 0;
    clv_policy_free(&pol);
    if (st != CLV_OK || hit)
        return raise_clv(hit ? CLV_ECANCELLED : st, &err);
    return PyLong_FromLong(clv_sim_epoch(self->sim) - e0);
}

static PyObject *Sim_customers(SimObject *self, PyObject *noargs)
{
    (void)noargs;
    return sim_ready(self) ? PyLong_FromSize_t(clv_sim_customers(self->sim)) : NULL;
}

static PyObject *Sim_done(SimObject *self, PyObject *noargs)
{
    (void)noargs;
    return sim_ready(self) ? PyBool_FromLong(clv_sim_done(self->sim)) : NULL;
}

static PyMethodDef Sim_methods[] = {
    {"run", (PyCFunction)Sim_run, METH_VARARGS, "run(policy name, scenario) -> epochs (clv_sim_run)"},
    {"customers", (PyCFunction)Sim_customers, METH_NOARGS, "customers() -> customers acquired so far"},
    {"done", (PyCFunction)Sim_done, METH_NOARGS, "done() -> True after the last epoch"},
    {"reset", (PyCFunction)Sim_reset, METH_VARARGS, "reset(seed, replication)"},
    {"observe", (PyCFunction)Sim_observe, METH_O, "observe(out float64[n*18]) -> n"},
    {"step", (PyCFunction)Sim_step, METH_VARARGS, "step(actions uint8[n*2] or None, margin float64[n]) -> n"},
    {"truth", (PyCFunction)Sim_truth, METH_VARARGS, "truth(segment int32[n], alive int8[n]) -> n"},
    {"sent", (PyCFunction)Sim_sent, METH_O, "sent(out uint8[n]) -> n"},
    {"days", (PyCFunction)Sim_days, METH_VARARGS, "days(out float64[days*17]=None) -> days"},
    {"state", (PyCFunction)Sim_state, METH_NOARGS, "state() -> dict (customers, capacity, epoch, ...)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject SimType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clvsim._clvsim.Sim",
    .tp_basicsize = sizeof(SimObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Sim(scenario, threads=1): a world of the scenario and one state in it (clvsim/sim.h)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Sim_init,
    .tp_dealloc = (destructor)Sim_dealloc,
    .tp_methods = Sim_methods,
};

/* ---- evaluate: Python policies beside the built-in ones ---- */

typedef struct {
    PyObject *fn;         /* fn(obs bytes, n) -> buffer of n*2 uint8 */
    PyObject **exc;       /* the first exception of any callback: type, value, traceback */
    const char *name;
} py_policy;

static int py_act(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *actions, clv_error *err)
{
    (void)s;
    py_policy *pp = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    int st = CLV_OK;
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * NOBS * sizeof(double)));
    PyObject *res = NULL;
    if (bytes) {
        double *r = (double *)PyBytes_AS_STRING(bytes);
        for (size_t i = 0; i < n; i++)
            obs_row(&obs[i], r + i * NOBS);
        res = PyObject_CallFunction(pp->fn, "On", bytes, (Py_ssize_t)n);
    }
    if (res) {
        Py_buffer b;
        if (get_buf(res, &b, 0, 2 * n, 1, pp->name) == 0) {
            const uint8_t *p = b.buf;
            for (size_t i = 0; i < n; i++)
                actions[i] = (clv_action){p[2 * i], p[2 * i + 1]};
            PyBuffer_Release(&b);
        }
    }
    if (PyErr_Occurred()) {
        if (!pp->exc[0])
            PyErr_Fetch(&pp->exc[0], &pp->exc[1], &pp->exc[2]);
        else
            PyErr_Clear();
        st = clv_error_set(err, CLV_EINPUT, NULL, 0, pp->name, "the Python policy raised an exception");
    }
    Py_XDECREF(res);
    Py_XDECREF(bytes);
    PyGILState_Release(g);
    return st;
}

/* the result of evaluate() (ev, have) or of study() (study: its ev) */
typedef struct {
    PyObject_HEAD
    clv_evaluation own;
    int have;
    clv_study *study;
    const clv_evaluation *ev;   /* &own or &study->ev; NULL: empty */
} EvaluationObject;

static void Evaluation_dealloc(EvaluationObject *self)
{
    if (self->have)
        clv_evaluation_free(&self->own);
    clv_study_free(self->study);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *interval_dict(const clv_interval *iv)
{
    return Py_BuildValue("{s:d,s:d,s:d,s:d,s:n}", "mean", iv->mean, "sd", iv->sd, "lo", iv->lo, "hi", iv->hi, "n",
                         (Py_ssize_t)iv->n);
}

static int ev_args(EvaluationObject *self, size_t p, size_t q, int metric, double conf)
{
    if (!self->ev || p >= self->ev->n_policies || q >= self->ev->n_policies || metric < 0 || metric >= CLV_M_N ||
        !(conf > 0 && conf < 1)) {
        PyErr_SetString(PyExc_ValueError, "policy index, metric (0..CLV_M_N-1) or confidence (0, 1) out of range");
        return 0;
    }
    return 1;
}

/* interval(p, metric, confidence) -> dict */
static PyObject *Evaluation_interval(EvaluationObject *self, PyObject *args)
{
    Py_ssize_t p;
    int m;
    double c;
    if (!PyArg_ParseTuple(args, "nid", &p, &m, &c) || p < 0 || !ev_args(self, (size_t)p, 0, m, c)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "policy index out of range");
        return NULL;
    }
    clv_interval iv;
    clv_eval_interval(self->ev, (size_t)p, m, c, &iv);
    return interval_dict(&iv);
}

/* paired(p, q, metric, confidence) -> dict: metric(p) - metric(q) paired by replication */
static PyObject *Evaluation_paired(EvaluationObject *self, PyObject *args)
{
    Py_ssize_t p, q;
    int m;
    double c;
    if (!PyArg_ParseTuple(args, "nnid", &p, &q, &m, &c) || p < 0 || q < 0 ||
        !ev_args(self, (size_t)p, (size_t)q, m, c)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "policy index out of range");
        return NULL;
    }
    clv_interval iv;
    clv_eval_paired(self->ev, (size_t)p, (size_t)q, m, c, &iv);
    return interval_dict(&iv);
}

/* totals(out) -> (policies, replications, metrics): out float64 [policies x replications x metrics] */
static PyObject *Evaluation_totals(EvaluationObject *self, PyObject *arg)
{
    if (!self->ev) {
        PyErr_SetString(PyExc_RuntimeError, "no evaluation");
        return NULL;
    }
    size_t n = self->ev->n_policies * self->ev->replications * CLV_M_N;
    Py_buffer b;
    if (arg == Py_None)
        return Py_BuildValue("(nni)", (Py_ssize_t)self->ev->n_policies, (Py_ssize_t)self->ev->replications,
                             (int)CLV_M_N);
    if (get_buf(arg, &b, 1, n, sizeof(double), "totals") != 0)
        return NULL;
    memcpy(b.buf, self->ev->totals, n * sizeof(double));
    PyBuffer_Release(&b);
    return Py_BuildValue("(nni)", (Py_ssize_t)self->ev->n_policies, (Py_ssize_t)self->ev->replications, (int)CLV_M_N);
}

/* roi(p, q, confidence) -> dict: (net margin(p) - net margin(q)) / coupon spend(p) (clv_eval_roi) */
static PyObject *Evaluation_roi(EvaluationObject *self, PyObject *args)
{
    Py_ssize_t p, q;
    double c;
    if (!PyArg_ParseTuple(args, "nnd", &p, &q, &c) || p < 0 || q < 0 || !ev_args(self, (size_t)p, (size_t)q, 0, c)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "policy index out of range");
        return NULL;
    }
    clv_interval iv;
    clv_eval_roi(self->ev, (size_t)p, (size_t)q, c, &iv);
    return interval_dict(&iv);
}

/* study only: policies() -> list of dicts (name, label, fixed, kind, verify, verification) */
static PyObject *Evaluation_policies(EvaluationObject *self, PyObject *noargs)
{
    (void)noargs;
    if (!self->study) {
        PyErr_SetString(PyExc_RuntimeError, "policies(): a study's");
        return NULL;
    }
    PyObject *l = PyList_New((Py_ssize_t)self->study->n);
    for (size_t p = 0; l && p < self->study->n; p++) {
        const clv_study_policy *sp = &self->study->pol[p];
        PyObject *d = Py_BuildValue("{s:s,s:s,s:i,s:i,s:i,s:N}", "name", sp->name, "label", sp->label, "fixed",
                                    sp->fixed, "kind", sp->kind, "verify", sp->verify, "verification",
                                    interval_dict(&sp->verification));
        if (!d) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)p, d);
    }
    return l;
}

/* study only: verdict() -> dict (clv_study_verdict_of) with the indices none, best_fixed, bound */
static PyObject *Evaluation_verdict(EvaluationObject *self, PyObject *noargs)
{
    (void)noargs;
    if (!self->study) {
        PyErr_SetString(PyExc_RuntimeError, "verdict(): a study's");
        return NULL;
    }
    clv_study_verdict v;
    clv_study_verdict_of(self->study, &v);
    return Py_BuildValue("{s:l,s:l,s:N,s:N,s:i,s:i,s:d,s:d,s:d,s:l,s:l,s:l,s:d}", "best", v.best, "runner_up",
                         v.runner_up, "gain", interval_dict(&v.gain), "lead", interval_dict(&v.lead), "beats_none",
                         v.beats_none, "beats_runner_up", v.beats_runner_up, "share", v.share, "share_lo", v.share_lo,
                         "share_hi", v.share_hi, "none", self->study->none, "best_fixed", self->study->best_fixed,
                         "bound", self->study->bound, "seconds", self->study->seconds);
}

static PyMethodDef Evaluation_methods[] = {
    {"roi", (PyCFunction)Evaluation_roi, METH_VARARGS, "roi(p, q, confidence) -> dict"},
    {"policies", (PyCFunction)Evaluation_policies, METH_NOARGS, "a study's policies"},
    {"verdict", (PyCFunction)Evaluation_verdict, METH_NOARGS, "a study's verdict"},
    {"interval", (PyCFunction)Evaluation_interval, METH_VARARGS, "interval(p, metric, confidence) -> dict"},
    {"paired", (PyCFunction)Evaluation_paired, METH_VARARGS, "paired(p, q, metric, confidence) -> dict"},
    {"totals", (PyCFunction)Evaluation_totals, METH_O, "totals(out float64[P*R*M] or None) -> (P, R, M)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject EvaluationType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "clvsim._clvsim.Evaluation",
    .tp_basicsize = sizeof(EvaluationObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "the result of evaluate() (clv_evaluation)",
    .tp_dealloc = (destructor)Evaluation_dealloc,
    .tp_methods = Evaluation_methods,
};

/* evaluate(scenario, policies, threads=1) -> Evaluation; policies: a sequence of either a
 * built-in policy's name (str) or a (name, fn) pair with fn(obs bytes, n) -> n*2 uint8 */
static PyObject *mod_evaluate(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"scenario", "policies", "threads", NULL};
    ScenarioObject *so;
    PyObject *pol_o;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O|i", kwlist, &ScenarioType, &so, &pol_o, &threads))
        return NULL;
    if (!scn_ready(so))
        return NULL;
    if (threads < 0) {
        PyErr_SetString(PyExc_ValueError, "threads: 0 (all processors) or more");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(pol_o, "policies: a sequence");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "policies: at least one");
        return NULL;
    }
    clv_policy *pol = calloc((size_t)n, sizeof *pol);
    py_policy *pp = calloc((size_t)n, sizeof *pp);
    PyObject *exc[3] = {NULL, NULL, NULL};
    EvaluationObject *res = NULL;
    clv_error err;
    clv_error_clear(&err);
    int st = CLV_OK;
    if (!pol || !pp) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
        if (PyUnicode_Check(it)) {
            const char *name = PyUnicode_AsUTF8(it);
            if (!name)
                goto out;
            if ((st = clv_policy_fixed(so->scn, name, (uint64_t)so->scn->scenario.seed, &pol[i], &err)) != CLV_OK) {
                raise_clv(st, &err);
                goto out;
            }
        } else if (PyTuple_Check(it) && PyTuple_GET_SIZE(it) == 2 && PyUnicode_Check(PyTuple_GET_ITEM(it, 0)) &&
                   PyCallable_Check(PyTuple_GET_ITEM(it, 1))) {
            if (!(pp[i].name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(it, 0))))
                goto out;
            pp[i].fn = PyTuple_GET_ITEM(it, 1);
            pp[i].exc = exc;
            pol[i] = (clv_policy){pp[i].name, py_act, &pp[i], NULL, NULL};
        } else {
            PyErr_SetString(PyExc_TypeError, "policies: each a built-in policy's name or a (name, callable) pair");
            goto out;
        }
    }
    if (!(res = PyObject_New(EvaluationObject, &EvaluationType)))
        goto out;
    res->have = 0;
    res->study = NULL;
    res->ev = NULL;
    clv_eval_opts eo = {.threads = threads, .progress = &interrupt_progress};
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_evaluate(so->scn, pol, (size_t)n, &eo, &res->own, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    if (exc[0]) {
        PyErr_Restore(exc[0], exc[1], exc[2]);
        exc[0] = exc[1] = exc[2] = NULL;
        if (st == CLV_OK)
            clv_evaluation_free(&res->own);
        Py_CLEAR(res);
    } else if (st != CLV_OK || hit) {
        if (st == CLV_OK)
            clv_evaluation_free(&res->own);
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
        Py_CLEAR(res);
    } else {
        res->have = 1;
        res->ev = &res->own;
    }
out:
    if (pol)
        for (Py_ssize_t i = 0; i < n; i++)
            if (!pp || !pp[i].fn)
                clv_policy_free(&pol[i]);
    free(pol);
    free(pp);
    Py_DECREF(seq);
    return (PyObject *)res;
}

/* ---- study: clvsim run's main job (clv_study_run) ---- */

static int py_make(void *ctx, const clv_scenario *scn, clv_policy *out, clv_error *err)
{
    (void)scn, (void)err;
    py_policy *pp = ctx;
    *out = (clv_policy){pp->name, py_act, pp, NULL, NULL};
    return CLV_OK;
}

/* study(scenario, own=()) -> Evaluation of the study: own a sequence of (name, fn) pairs as
 * evaluate()'s, compared after the listed policies */
static PyObject *mod_study(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"scenario", "own", NULL};
    ScenarioObject *so;
    PyObject *own_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|O", kwlist, &ScenarioType, &so, &own_o) || !scn_ready(so))
        return NULL;
    PyObject *seq = own_o && own_o != Py_None ? PySequence_Fast(own_o, "own: a sequence") : PyTuple_New(0);
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > CLV_STUDY_OWN_MAX) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "own: at most %d policies", (int)CLV_STUDY_OWN_MAX);
        return NULL;
    }
    clv_study_own own[CLV_STUDY_OWN_MAX];
    py_policy pp[CLV_STUDY_OWN_MAX];
    PyObject *exc[3] = {NULL, NULL, NULL};
    EvaluationObject *res = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(it, 0)) ||
            !PyCallable_Check(PyTuple_GET_ITEM(it, 1))) {
            PyErr_SetString(PyExc_TypeError, "own: each a (name, callable) pair");
            goto out;
        }
        if (!(pp[i].name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(it, 0))))
            goto out;
        pp[i].fn = PyTuple_GET_ITEM(it, 1);
        pp[i].exc = exc;
        own[i] = (clv_study_own){pp[i].name, NULL, "a Python policy", py_make, &pp[i]};
    }
    if (!(res = PyObject_New(EvaluationObject, &EvaluationType)))
        goto out;
    res->have = 0;
    res->study = NULL;
    res->ev = NULL;
    clv_study_opts o;
    clv_study_opts_default(&o);
    o.progress = &interrupt_progress;
    o.own = n ? own : NULL;
    o.n_own = (size_t)n;
    clv_error err;
    clv_error_clear(&err);
    int st;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_study_run(so->scn, &o, &res->study, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    if (exc[0]) {
        PyErr_Restore(exc[0], exc[1], exc[2]);
        Py_CLEAR(res);
    } else if (st != CLV_OK || hit) {
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
        Py_CLEAR(res);
    } else
        res->ev = &res->study->ev;
out:
    Py_DECREF(seq);
    return (PyObject *)res;
}

/* ---- the reader's options, over a base (the defaults, or a network's record) ----
 *
 * d: None, or a dict of the Python layer's reader options (clvsim/__init__.py
 * turns names into numbers): delimiter, header, date_format, amount_kind
 * (the clv_txlog_opts numbers), date_pattern (str or None), customer_column,
 * date_column, amount_column, quantity_column (a number, or a header name),
 * skip_malformed, skip_missing_customer (truth values).  The strings stay
 * the dict's: keep it alive while *o is used. */
static int apply_reader(PyObject *d, clv_txlog_opts *o)
{
    if (!d || d == Py_None)
        return 0;
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "reader: a dict");
        return -1;
    }
    static const char *const cols[4] = {"customer_column", "date_column", "amount_column", "quantity_column"};
    static const struct { const char *key; int hi; } ints[] = {
        {"delimiter", CLV_DELIM_COMMA}, {"header", CLV_HEADER_NO}, {"date_format", CLV_DATEFMT_ISO_DATETIME},
        {"amount_kind", CLV_AMOUNT_UNIT_PRICE}};
    int *colv[4] = {&o->customer_column, &o->date_column, &o->amount_column, &o->quantity_column};
    int *intv[4] = {&o->delimiter, &o->header, &o->date_format, &o->amount_kind};
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &k, &v)) {
        const char *key = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (!key) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "reader: keys are str");
            return -1;
        }
        int c = -1, e = -1;
        for (int j = 0; j < 4; j++)
            c = strcmp(key, cols[j]) == 0 ? j : c, e = strcmp(key, ints[j].key) == 0 ? j : e;
        if (c >= 0 && PyUnicode_Check(v)) {
            const char *name = PyUnicode_AsUTF8(v);
            if (!name)
                return -1;
            if (!*name) {
                PyErr_Format(PyExc_ValueError, "%s: a column number or a header name, not ''", key);
                return -1;
            }
            o->column_name[c] = name;
        } else if (c >= 0) {
            const long x = PyLong_AsLong(v);
            if (x == -1 && PyErr_Occurred())
                return -1;
            if (x < (c == 3 ? 0 : 1) || x > 64) {
                PyErr_Format(PyExc_ValueError, "%s: a column %d to 64%s or a header name, not %ld", key,
                             c == 3 ? 0 : 1, c == 3 ? " (0: none)" : "", x);
                return -1;
            }
            *colv[c] = (int)x;
            o->column_name[c] = NULL;
        } else if (e >= 0) {
            const long x = PyLong_AsLong(v);
            if (x == -1 && PyErr_Occurred())
                return -1;
            if (x < 0 || x > ints[e].hi) {
                PyErr_Format(PyExc_ValueError, "%s: 0 to %d, not %ld", key, ints[e].hi, x);
                return -1;
            }
            *intv[e] = (int)x;
        } else if (strcmp(key, "date_pattern") == 0) {
            if (v == Py_None) {
                o->date_pattern = NULL;
                continue;
            }
            const char *pat = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
            char why[160];
            if (!pat) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "date_pattern: a str or None");
                return -1;
            }
            if (clv_date_pattern_check(pat, why, sizeof why) != 0) {
                PyErr_Format(PyExc_ValueError, "date_format: %s, got '%s'", why, pat);
                return -1;
            }
            o->date_pattern = pat;
        } else if (strcmp(key, "skip_malformed") == 0 || strcmp(key, "skip_missing_customer") == 0) {
            const int t = PyObject_IsTrue(v);
            if (t < 0)
                return -1;
            *(key[5] == 'm' && key[6] == 'a' ? &o->skip_malformed : &o->skip_missing_customer) = t;
        } else {
            PyErr_Format(PyExc_ValueError, "reader: unknown option '%s'", key);
            return -1;
        }
    }
    if (o->amount_kind == CLV_AMOUNT_UNIT_PRICE && o->quantity_column == 0 && !o->column_name[3]) {
        PyErr_SetString(PyExc_ValueError, "amount_kind 'unit-price' needs a quantity_column");
        return -1;
    }
    return 0;
}

/* ---- fit: the pipeline of clvsim fit (clv_fit_study_run) ---- */

static PyObject *fit_result_dict(const clv_fit_result *r)
{
    PyObject *par = PyDict_New(), *se = PyDict_New();
    for (int k = 0; par && se && k < r->n_params; k++) {
        PyObject *a = PyFloat_FromDouble(r->par[k]), *b = PyFloat_FromDouble(r->se[k]);
        int bad = !a || !b || PyDict_SetItemString(par, r->names[k], a) < 0 || PyDict_SetItemString(se, r->names[k], b) < 0;
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (bad) {
            Py_CLEAR(par);
            break;
        }
    }
    if (!par || !se) {
        Py_XDECREF(par);
        Py_XDECREF(se);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:d,s:n,s:n,s:i,s:i,s:I,s:s}", "params", par, "se", se, "loglik", r->loglik, "n",
                         (Py_ssize_t)r->n, "n_excluded", (Py_ssize_t)r->n_excluded, "iterations", r->iterations,
                         "starts_converged", r->starts_converged, "flags", r->flags, "warning", r->warning);
}

static int parse_day(const char *s, int32_t *d, const char *what)
{
    if (clv_date_parse(s, -1, d) != 0) {
        PyErr_Format(PyExc_ValueError, "%s: '%s' is not a date (YYYY-MM-DD)", what, s);
        return 0;
    }
    return 1;
}

/* fit(log, calibration_end, holdout_end=None, unit="week", models=("bgnbd", "pareto", "ggamma"),
 *     reader=None, starts=4, seed=1, threads=1) (reader: apply_reader's dict, over the defaults)
 * -> dict: per model fitted its dict (params, se, loglik, n, ...), and "customers", "spend_note" */
static PyObject *mod_fit(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"log", "calibration_end", "holdout_end", "unit", "models", "reader", "starts",
                             "seed", "threads", NULL};
    PyObject *path_o = NULL, *models_o = NULL, *reader = NULL;
    const char *cal = NULL, *hold = NULL, *unit = "week";
    clv_fit_study_opts o;
    memset(&o, 0, sizeof o);
    clv_txlog_opts_default(&o.reader);
    clv_fit_opts_default(&o.fit);
    unsigned long long seed = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&s|zsOOiKi", kwlist, PyUnicode_FSConverter, &path_o, &cal, &hold,
                                     &unit, &models_o, &reader, &o.fit.starts, &seed, &o.fit.threads))
        return NULL;
    if (apply_reader(reader, &o.reader) < 0) {
        Py_DECREF(path_o);
        return NULL;
    }
    o.fit.seed = (uint64_t)seed;
    PyObject *ret = NULL;
    o.log_path = PyBytes_AS_STRING(path_o);
    o.holdout_end = -1;
    if (!parse_day(cal, &o.calibration_end, "calibration_end") ||
        (hold && !parse_day(hold, &o.holdout_end, "holdout_end")))
        goto out;
    if (strcmp(unit, "week") == 0)
        o.unit = CLV_UNIT_WEEK;
    else if (strcmp(unit, "day") == 0)
        o.unit = CLV_UNIT_DAY;
    else {
        PyErr_Format(PyExc_ValueError, "unit: 'week' or 'day', not '%s'", unit);
        goto out;
    }
    if (o.fit.starts < 1 || o.fit.threads < 0) {
        PyErr_SetString(PyExc_ValueError, "starts: 1 or more; threads: 0 (all processors) or more");
        goto out;
    }
    const char *names[CLV_FIT_N_MODELS];
    for (int k = 0; k < CLV_BTYD_N_TYPES; k++)
        names[k] = clv_btyd_types[k]->name;
    names[CLV_FIT_GGAMMA] = "ggamma";
    if (!models_o || models_o == Py_None)
        for (int k = 0; k < CLV_FIT_N_MODELS; k++)
            o.want[k] = 1;
    else {
        PyObject *seq = PySequence_Fast(models_o, "models: a sequence of model names");
        if (!seq)
            goto out;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            const char *m = PyUnicode_Check(PySequence_Fast_GET_ITEM(seq, i))
                                ? PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i))
                                : NULL;
            int k = 0;
            while (m && k < CLV_FIT_N_MODELS && strcmp(m, names[k]) != 0)
                k++;
            if (!m || k == CLV_FIT_N_MODELS) {
                Py_DECREF(seq);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "models: names among bgnbd, pareto and ggamma");
                goto out;
            }
            o.want[k] = 1;
        }
        Py_DECREF(seq);
    }
    o.fit.progress = &interrupt_progress;
    clv_fit_study fs;
    clv_error err;
    clv_error_clear(&err);
    int st;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_fit_study_run(&o, &fs, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    if (st != CLV_OK || hit)
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
    else if ((ret = Py_BuildValue("{s:n,s:s}", "customers", (Py_ssize_t)fs.t->n, "spend_note", fs.spend_note)))
        for (int k = 0; k < CLV_FIT_N_MODELS; k++) {
            if (!fs.done[k])
                continue;
            PyObject *d = fit_result_dict(&fs.fit[k]);
            if (!d || PyDict_SetItemString(ret, names[k], d) < 0) {
                Py_XDECREF(d);
                Py_CLEAR(ret);
                break;
            }
            Py_DECREF(d);
        }
    clv_fit_study_free(&fs);
out:
    Py_XDECREF(path_o);
    return ret;
}

static PyObject *doubles(const double *x, size_t n)
{
    return PyBytes_FromStringAndSize((const char *)x, (Py_ssize_t)(n * sizeof *x));
}

/* predict_ltv(model, log, cutoff, unit=None, threads=1, reader=None) -> dict: clvsim predict-ltv's
 * predictions.csv (id, value, p_buy, btyd as bytes of doubles), "customers", "recorded" (whether
 * the network recorded its training's reader), "unit" */
static PyObject *mod_predict_ltv(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"model", "log", "cutoff", "unit", "threads", "reader", NULL};
    PyObject *model_o = NULL, *log_o = NULL, *reader = NULL;
    const char *cut = NULL, *unit_s = NULL;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&s|ziO", kwlist, PyUnicode_FSConverter, &model_o,
                                     PyUnicode_FSConverter, &log_o, &cut, &unit_s, &threads, &reader))
        goto fail_args;
    int32_t cutoff;
    if (!parse_day(cut, &cutoff, "cutoff"))
        goto fail_args;
    if (threads < 0) {
        PyErr_SetString(PyExc_ValueError, "threads: 0 (all processors) or more");
        goto fail_args;
    }
    clv_error err;
    clv_error_clear(&err);
    clv_ltv_model *lm = clv_ltv_model_load(PyBytes_AS_STRING(model_o), 4096, NULL, &err);
    if (!lm) {
        raise_clv(err.code, &err);
        goto fail_args;
    }
    const clv_ltv_config *cfg = clv_ltv_model_config(lm);
    clv_txlog_opts ro;
    int unit;
    clv_ltv_config_reader(cfg, &ro, &unit);
    PyObject *ret = NULL;
    if (unit_s && strcmp(unit_s, "week") != 0 && strcmp(unit_s, "day") != 0) {
        PyErr_Format(PyExc_ValueError, "unit: 'week' or 'day', not '%s'", unit_s);
        goto out;
    }
    if (unit_s)
        unit = strcmp(unit_s, "day") == 0 ? CLV_UNIT_DAY : CLV_UNIT_WEEK;
    if (apply_reader(reader, &ro) < 0)
        goto out;
    clv_rfm_table *t = NULL;
    double *value = NULL, *p_buy = NULL, *btyd = NULL;
    int st;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_ltv_predict_log(PyBytes_AS_STRING(log_o), &ro, cutoff, unit, lm, threads, &interrupt_progress, &t,
                             &value, &p_buy, &btyd, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    if (st != CLV_OK || hit)
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
    else {
        PyObject *ids = PyList_New((Py_ssize_t)t->n);
        for (size_t i = 0; ids && i < t->n; i++) {
            PyObject *id = PyUnicode_DecodeUTF8(t->id[i], (Py_ssize_t)strlen(t->id[i]), "surrogateescape");
            if (!id) {
                Py_CLEAR(ids);
                break;
            }
            PyList_SET_ITEM(ids, (Py_ssize_t)i, id);
        }
        PyObject *a = ids ? doubles(value, t->n) : NULL, *b = a ? doubles(p_buy, t->n) : NULL,
                 *c = b ? doubles(btyd, t->n) : NULL;
        if (c)
            ret = Py_BuildValue("{s:O,s:O,s:O,s:O,s:n,s:O,s:s}", "id", ids, "value", a, "p_buy", b, "btyd", c,
                                "customers", (Py_ssize_t)t->n, "recorded", cfg->reader_recorded ? Py_True : Py_False,
                                "unit", unit == CLV_UNIT_DAY ? "day" : "week");
        Py_XDECREF(ids), Py_XDECREF(a), Py_XDECREF(b), Py_XDECREF(c);
    }
    clv_rfm_free(t);
    free(value), free(p_buy), free(btyd);
out:
    clv_ltv_model_free(lm);
    Py_XDECREF(model_o), Py_XDECREF(log_o);
    return ret;
fail_args:
    Py_XDECREF(model_o), Py_XDECREF(log_o);
    return NULL;
}

/* train_ltv(scenario, save=None) -> dict: clvsim train-ltv's ltv_metrics.csv rows ("metrics"), its
 * learning curves ("train_loss", "validation_loss": bytes of doubles, the latter None without
 * validation rows), the rows used and the largest label; with save, the network at that path */
static PyObject *mod_train_ltv(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"scenario", "save", NULL};
    ScenarioObject *so;
    PyObject *save_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|O&", kwlist, &ScenarioType, &so, PyUnicode_FSConverter, &save_o))
        return NULL;
    if (!scn_ready(so)) {
        Py_XDECREF(save_o);
        return NULL;
    }
    clv_ltv_study s;
    clv_error err;
    clv_error_clear(&err);
    int st;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_ltv_study_run(so->scn, &interrupt_progress, &s, &err);
    if (st == CLV_OK && save_o)
        st = clv_ltv_study_save(&s, so->scn, PyBytes_AS_STRING(save_o), &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    PyObject *ret = NULL, *rows = NULL;
    if (st != CLV_OK || hit) {
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
        goto out;
    }
    static const char *const models[2] = {"mlp", "btyd"};
    if (!(rows = PyList_New(0)))
        goto out;
    for (int e = 0; e < s.n_ev; e++)
        for (int k = 0; k < 2; k++) {
            const clv_ltv_evaluation *ev = &s.ev[e];
            PyObject *r = Py_BuildValue("{s:s,s:s,s:n,s:d,s:d,s:d,s:d,s:d,s:d}", "model", models[k], "holdout",
                                        ev->name, "customers", (Py_ssize_t)ev->n, "rmse", ev->v[k].rmse, "mae",
                                        ev->v[k].mae, "normalised_gini", ev->v[k].gini, "top_decile_lift",
                                        ev->v[k].top_decile_lift, "spearman", ev->v[k].spearman, "auc_buy",
                                        ev->c[k].auc);
            if (!r || PyList_Append(rows, r) < 0) {
                Py_XDECREF(r);
                goto out;
            }
            Py_DECREF(r);
        }
    const int E = s.history.epochs;
    PyObject *tl = doubles(s.history.train_loss, (size_t)E);
    PyObject *vl = s.history.val_loss ? doubles(s.history.val_loss, (size_t)E) : Py_NewRef(Py_None);
    if (tl && vl)
        ret = Py_BuildValue("{s:O,s:O,s:O,s:i,s:{s:n,s:n,s:n,s:n,s:n},s:d}", "metrics", rows, "train_loss", tl,
                            "validation_loss", vl, "best_epoch", s.history.best_epoch, "rows", "all", (Py_ssize_t)s.n,
                            "real", (Py_ssize_t)s.n_real, "synthetic", (Py_ssize_t)s.n_syn, "validation",
                            (Py_ssize_t)s.n_val, "train", (Py_ssize_t)s.n_train, "label_max", s.label_max);
    Py_XDECREF(tl), Py_XDECREF(vl);
out:
    Py_XDECREF(rows);
    clv_ltv_study_free(&s);
    Py_XDECREF(save_o);
    return ret;
}

/* validate(scenario, dir) -> dict: clvsim validate's checks, its files written to dir (claimed as
 * clvsim's output directory, replaced when it is one): pass, counts, refit, real, effects */
static PyObject *mod_validate(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *kwlist[] = {"scenario", "dir", NULL};
    ScenarioObject *so;
    PyObject *dir_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O&", kwlist, &ScenarioType, &so, PyUnicode_FSConverter, &dir_o))
        return NULL;
    if (!scn_ready(so)) {
        Py_DECREF(dir_o);
        return NULL;
    }
    clv_validation v;
    memset(&v, 0, sizeof v);
    clv_error err;
    clv_error_clear(&err);
    clv_outdir od = {.fd = -1};
    int st, no_gnuplot = 0;
    guard_begin();
    Py_BEGIN_ALLOW_THREADS
    st = clv_outdir_open(&od, PyBytes_AS_STRING(dir_o), 1, &err);
    if (st == CLV_OK)
        st = clv_validate_run(so->scn, &od, &interrupt_progress, &v, &err);
    if (st == CLV_OK)
        st = clv_validate_report_write(&v, &interrupt_progress, &no_gnuplot, &err);
    st = clv_report_end(&od, st, "report.txt", NULL, 0, &err);
    Py_END_ALLOW_THREADS
    int hit = guard_end();
    PyObject *ret = NULL;
    if (st != CLV_OK || hit) {
        raise_clv(hit ? CLV_ECANCELLED : st, &err);
        goto out;
    }
    PyObject *obs = doubles(v.observed, (size_t)v.bins), *exp = doubles(v.expected, (size_t)v.bins);
    PyObject *refit = PyList_New(0), *effects = PyList_New(0);
    int ok = obs && exp && refit && effects;
    for (int m = 0; ok && m < 2; m++)
        for (int k = 0; ok && k < v.fit[m].n_params; k++) {
            PyObject *r = Py_BuildValue("{s:s,s:s,s:d,s:d,s:d,s:d,s:d,s:d}", "model",
                                        m ? "ggamma" : clv_btyd_type_of(so->scn->population.model)->name,
                                        "parameter", v.fit[m].names[k], "true", v.truth[m][k], "estimate",
                                        v.fit[m].par[k], "std_error", v.fit[m].se[k], "z",
                                        (v.fit[m].par[k] - v.truth[m][k]) / v.fit[m].se[k], "estimate_from_day_log",
                                        v.fit_log[m].par[k], "std_error_from_day_log", v.fit_log[m].se[k]);
            ok = r && PyList_Append(refit, r) == 0;
            Py_XDECREF(r);
        }
    for (int i = 0; ok && v.effects_run && i < so->scn->response.n_contact; i++) {
        const struct clv_validate_effect *e = &v.effect[i];
        PyObject *r = Py_BuildValue("{s:l,s:l,s:l,s:l,s:d,s:d,s:d,s:O,s:O}", "control_n", e->n[0], "control_buyers",
                                    e->buyers[0], "treated_n", e->n[1], "treated_buyers", e->buyers[1], "ratio",
                                    e->ratio, "lo", e->lo, "hi", e->hi, "checked", e->checked ? Py_True : Py_False,
                                    "pass", e->pass ? Py_True : Py_False);
        ok = r && PyList_Append(effects, r) == 0;
        Py_XDECREF(r);
    }
    if (ok)
        ret = Py_BuildValue("{s:O,s:{s:O,s:O,s:d,s:i,s:d},s:O,s:d,s:O,s:O,s:O,s:n}", "pass",
                            clv_validation_pass(&v) ? Py_True : Py_False, "counts", "observed", obs, "expected", exp,
                            "chi2", v.chi2, "df", v.df, "pvalue", v.pvalue, "refit", refit, "worst_z", v.worst_z,
                            "real", v.have_real ? Py_True : Py_False, "effects", effects, "effects_pass",
                            clv_validation_effects_pass(&v) ? Py_True : Py_False, "customers", (Py_ssize_t)v.n);
    Py_XDECREF(obs), Py_XDECREF(exp), Py_XDECREF(refit), Py_XDECREF(effects);
out:
    clv_validation_free(&v);
    Py_DECREF(dir_o);
    return ret;
}

static PyObject *mod_metric_names(PyObject *mod, PyObject *noargs)
{
    (void)mod, (void)noargs;
    const char *names[CLV_M_N];
    for (int m = 0; m < CLV_M_N; m++)
        names[m] = clv_metric_name(m);
    return names_tuple(names, CLV_M_N);
}

static PyMethodDef module_methods[] = {
    {"evaluate", (PyCFunction)(void (*)(void))mod_evaluate, METH_VARARGS | METH_KEYWORDS,
     "evaluate(scenario, policies, threads=1) -> Evaluation"},
    {"study", (PyCFunction)(void (*)(void))mod_study, METH_VARARGS | METH_KEYWORDS,
     "study(scenario, own=()) -> Evaluation of clvsim run's study (clv_study_run)"},
    {"fit", (PyCFunction)(void (*)(void))mod_fit, METH_VARARGS | METH_KEYWORDS,
     "fit(log, calibration_end, holdout_end=None, unit='week', models=None, ...) -> dict (clv_fit_study_run)"},
    {"predict_ltv", (PyCFunction)(void (*)(void))mod_predict_ltv, METH_VARARGS | METH_KEYWORDS,
     "predict_ltv(model, log, cutoff, unit=None, threads=1, reader=None) -> dict (clv_ltv_predict_log)"},
    {"train_ltv", (PyCFunction)(void (*)(void))mod_train_ltv, METH_VARARGS | METH_KEYWORDS,
     "train_ltv(scenario, save=None) -> dict (clv_ltv_study_run)"},
    {"validate", (PyCFunction)(void (*)(void))mod_validate, METH_VARARGS | METH_KEYWORDS,
     "validate(scenario, dir) -> dict (clv_validate_run), its files in dir"},
    {"metric_names", mod_metric_names, METH_NOARGS, "the metrics' CSV names, in clv_metric order"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_clvsim",
                                        "the C layer of the clvsim package (see clvsim/__init__.py)", -1,
                                        module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__clvsim(void);
PyMODINIT_FUNC PyInit__clvsim(void)
{
    gsl_set_error_handler_off(); /* GSL's default handler aborts the process */
    if (PyType_Ready(&ScenarioType) < 0 || PyType_Ready(&SimType) < 0 || PyType_Ready(&EvaluationType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    ClvError = PyErr_NewExceptionWithDoc("clvsim.Error",
                                         "a failure of the C library: str() is FILE:LINE: field: message; attributes "
                                         "code, status, file, line, field, msg",
                                         PyExc_ValueError, NULL);
    PyObject *obs = names_tuple(OBS_NAMES, NOBS), *days = names_tuple(DAY_NAMES, NDAY);
    if (!ClvError || !obs || !days || PyModule_AddObjectRef(m, "Error", ClvError) < 0 ||
        PyModule_AddObjectRef(m, "Scenario", (PyObject *)&ScenarioType) < 0 ||
        PyModule_AddObjectRef(m, "Sim", (PyObject *)&SimType) < 0 ||
        PyModule_AddObjectRef(m, "Evaluation", (PyObject *)&EvaluationType) < 0 ||
        PyModule_AddObject(m, "OBS_NAMES", obs) < 0 || PyModule_AddObject(m, "DAY_NAMES", days) < 0 ||
        PyModule_AddStringConstant(m, "VERSION", CLV_VERSION) < 0) {
        Py_XDECREF(obs);
        Py_XDECREF(days);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
