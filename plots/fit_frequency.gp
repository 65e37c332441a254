# fit_frequency.gp - customers by number of repeat transactions in the
# calibration period: actual against each fitted model's expectation.
# Variables: fmt, outfile, datafile (frequency,actual,<model>...), ncols, title_text.
load dir . "/common.gp"
set title title_text noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xlabel "repeat transactions in the calibration period"
set ylabel "customers"
set yrange [0:*]
set key top right
plot for [i=2:ncols] datafile using i:xtic(1) lt (i-1) lw 1 dt 1 title columnheader(i)
