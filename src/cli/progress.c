/* progress.c - the progress bar on stderr: drawn only on a terminal, throttled, Ctrl-C aware. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int term_width(FILE *fp)
{
    struct winsize ws;
    if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

void cli_progress_init(cli_progress *p, int quiet)
{
    memset(p, 0, sizeof *p);
    p->out = stderr;
    p->enabled = !quiet && isatty(fileno(stderr));
    p->start = p->last = cli_now();
}

/* "phase [#####-----]  45%   12s left", exactly width columns when the bar
 * fits (it is at most 50 wide), else cut to width */
void cli_progress_render(char *buf, size_t n, int width, const char *phase, double done, double total,
                         double elapsed)
{
    if (n == 0)
        return;
    if (total > 0) {
        double f = done / total;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        char tail[48];
        if (f > 0.01 && f < 1)
            snprintf(tail, sizeof tail, " %3.0f%% %5.0fs left", 100 * f, elapsed * (1 - f) / f);
        else
            snprintf(tail, sizeof tail, " %3.0f%%", 100 * f);
        int bar = width - (int)strlen(tail) - (int)strlen(phase) - 3;
        if (bar > 50)
            bar = 50;
        if (bar < 5)
            bar = 5;
        int fill = (int)(f * bar + 0.5);
        char b[64];
        memset(b, '#', (size_t)fill);
        memset(b + fill, '-', (size_t)(bar - fill));
        b[bar] = '\0';
        snprintf(buf, n, "%s [%s]%s", phase, b, tail);
    } else {
        snprintf(buf, n, "%s: %.0f iterations, %.1fs", phase, done, elapsed);
    }
    if (width >= 0 && strlen(buf) > (size_t)width)
        buf[width] = '\0';
}

int cli_progress_cb(void *ctx, const char *phase, double done, double total)
{
    cli_progress *p = ctx;
    if (clv_stop_signal())
        return 1;
    if (!p->enabled)
        return 0;
    double t = cli_now();
    int new_phase = strncmp(p->phase, phase, sizeof p->phase - 1) != 0;
    /* redraw at most 10 times a second, and always on a new phase or at the end */
    if (!new_phase && t - p->last < 0.1 && done < total)
        return 0;
    if (new_phase) {
        if (p->drawn)
            fputc('\n', p->out);
        snprintf(p->phase, sizeof p->phase, "%s", phase);
        p->start = t;
    }
    p->last = t;
    char line[256];
    int w = term_width(p->out);
    if (w > (int)sizeof line - 1)
        w = (int)sizeof line - 1;
    cli_progress_render(line, sizeof line, w - 1, phase, done, total, t - p->start);
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
    p->drawn = 1;
    return 0;
}

int cli_stop(clv_error *err)
{
    if (!clv_stop_signal())
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

clv_progress cli_progress_of(cli_progress *p)
{
    return (clv_progress){cli_progress_cb, p, clv_stop_cancelled};
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    p->drawn = 0;
    p->phase[0] = '\0';
}
