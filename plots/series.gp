# series.gp - one column of daily.csv of clvsim run over the calendar, a line
# per policy, with the seasonal windows shaded.
# Variables: fmt, outfile, datafile (policy,date,... with a header),
# column_number (the column to draw, counted from 1), policies (space-separated names),
# windows (space-separated FROM:TO date ranges, TO exclusive; may be empty),
# title_text, ylabel_text.
load dir . "/common.gp"
set title title_text noenhanced
set ylabel ylabel_text noenhanced
set xlabel "date"
set xdata time
set timefmt "%Y-%m-%d"
set format x "%d %b"
set key outside right top box opaque noenhanced
set autoscale xfix
do for [i=1:words(windows)] {
    w = word(windows, i)
    set object i rect from strptime("%Y-%m-%d", w[1:10]), graph 0 to strptime("%Y-%m-%d", w[12:21]), graph 1 \
        behind fc rgb "#eeeeee" fs solid 1.0 noborder
}
set linetype 5 lc rgb "#9467bd" lw 2
set linetype 6 lc rgb "#8c564b" lw 2
set linetype 7 lc rgb "#e377c2" lw 2
set linetype 8 lc rgb "#7f7f7f" lw 2
set linetype 9 lc rgb "#bcbd22" lw 2
set linetype 10 lc rgb "#17becf" lw 2
set linetype 11 lc rgb "#ff7f0e" lw 2
set linetype 12 lc rgb "#000080" lw 2 dt 3
set linetype 13 lc rgb "#ff7f0e" lw 2 dt 2
set linetype 14 lc rgb "#17becf" lw 2 dt 4
set linetype 15 lc rgb "#8c564b" lw 2 dt 5
set linetype 16 lc rgb "#9467bd" lw 2 dt 3
plot for [i=1:words(policies)] datafile using 2:(strcol(1) eq word(policies, i) ? column(int(column_number)) : NaN) \
    every ::1 with lines lt i title word(policies, i)
