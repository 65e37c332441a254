# series.gp - one column of daily.csv of clvsim run over the calendar, as
# small multiples: a panel per policy, titled with its label (the name the
# tables use), its line drawn over the reference policy's in grey, on one
# y range shared by every panel, the seasonal windows shaded.
# Variables: fmt, outfile, datafile (policy,date,... with a header),
# column_number (the column to draw, counted from 1), policies (space-separated
# names, the CSV's policy column), labels (their labels, one double-quoted word
# per policy, in the same order), reference (the name drawn in grey in every
# panel, or "" for none), windows (space-separated FROM:TO date ranges, TO
# exclusive; may be empty), title_text, ylabel_text.
load dir . "/common.gp"
# the panels: every policy but the reference, 4 to a row (fewer if fewer)
npanel = 0
do for [i=1:words(policies)] {
    if (word(policies, i) ne reference) { npanel = npanel + 1 }
}
ncol = npanel < 4 ? (npanel < 1 ? 1 : npanel) : 4
nrow = (npanel + ncol - 1) / ncol
nrow = nrow < 1 ? 1 : nrow
set terminal push
if (fmt eq "svg") {
    set terminal svg size 1200, 90 + 230 * nrow dynamic enhanced font "sans,12" background rgb "white"
} else {
    set terminal pngcairo size 1200, 90 + 230 * nrow enhanced font "sans,10" background rgb "white"
}
set output outfile
# one y range for every panel, so that panels compare at a glance
stats datafile using (column(int(column_number))) every ::1 nooutput
ylo = STATS_min < 0 ? STATS_min : 0
yhi = STATS_max > ylo ? STATS_max : ylo + 1
set yrange [ylo : yhi + 0.05 * (yhi - ylo)]
set xdata time
set timefmt "%Y-%m-%d"
set format x "%b"
set autoscale xfix
unset key
unset xlabel
do for [i=1:words(windows)] {
    w = word(windows, i)
    set object i rect from strptime("%Y-%m-%d", w[1:10]), graph 0 to strptime("%Y-%m-%d", w[12:21]), graph 1 \
        behind fc rgb "#eeeeee" fs solid 1.0 noborder
}
ref_note = reference ne "" ? sprintf("; grey: %s", reference) : ""
set multiplot layout nrow, ncol title title_text . ref_note noenhanced margins 0.07, 0.98, 0.06, 0.90 spacing 0.05, 0.09
k = 0
do for [i=1:words(policies)] {
    p = word(policies, i)
    if (p ne reference) {
        k = k + 1
        set title word(labels, i) noenhanced
        if ((k - 1) % ncol == 0) { set ylabel ylabel_text noenhanced } else { unset ylabel }
        if (reference ne "") {
            plot datafile using 2:(strcol(1) eq reference ? column(int(column_number)) : NaN) every ::1 \
                     with lines lc rgb "#aaaaaa" lw 1.5 dt solid, \
                 datafile using 2:(strcol(1) eq p ? column(int(column_number)) : NaN) every ::1 \
                     with lines lc rgb "#1f77b4" lw 2 dt solid
        } else {
            plot datafile using 2:(strcol(1) eq p ? column(int(column_number)) : NaN) every ::1 \
                with lines lc rgb "#1f77b4" lw 2 dt solid
        }
    }
}
unset multiplot
