# fit_calibration_holdout.gp - mean holdout transactions per customer by
# calibration frequency: actual against each fitted model (lifetimes'
# plot_calibration_purchases_vs_holdout_purchases), from holdout.csv.
# Variables: fmt, outfile, datafile (holdout.csv: frequency,customers,
# actual_mean,predicted_mean_<model>...), ncols (the last mean column),
# title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "repeat transactions in the calibration period"
set ylabel "mean transactions in the holdout period"
set yrange [0:*]
set key top left noenhanced
set xrange [-0.5:7.5]
set datafile columnheaders
# the rows of the frequency groups (0, 1, ..., 7+), not the row "all"
plot for [i=3:ncols] datafile using 0:(strcol(1) eq "all" ? 1/0 : column(i)):xtic(1) with linespoints lt (i-2) pt 7 \
     title (i == 3 ? "actual" : columnheader(i))
