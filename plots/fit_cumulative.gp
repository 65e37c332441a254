# fit_cumulative.gp - cumulative repeat transactions of a cohort over calendar
# time: actual against each fitted model, calibration and holdout periods.
# Variables: fmt, outfile, datafile (date,actual,<model>...), ncols (columns
# in datafile), calibration_end (YYYY-MM-DD), unit_label, title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xdata time
set timefmt "%Y-%m-%d"
set format x "%b %Y"
set xlabel "calendar date"
set ylabel "cumulative repeat transactions"
set yrange [0:*]
cal = strptime("%Y-%m-%d", calibration_end)
set arrow 1 from cal, graph 0 to cal, graph 1 nohead lc rgb "#888888" dt 3 lw 1.5
set label 1 "end of calibration " . calibration_end at cal, graph 0.95 right offset -1,0 tc rgb "#555555"
plot for [i=2:ncols] datafile using 1:i with lines lt (i-1) title columnheader(i)
