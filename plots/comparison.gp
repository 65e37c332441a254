# comparison.gp - net margin of every policy with its confidence interval.
# Variables: fmt, outfile, datafile (summary.csv of clvsim run: label in
# column 2, net_margin, net_margin_lo, net_margin_hi in columns 5-7),
# title_text, currency.
load dir . "/common.gp"
set title title_text noenhanced
set ylabel "net margin over the horizon (" . currency . ")"
set xlabel "policy"
set key off
set style fill solid 0.6 border rgb "#333333"
set boxwidth 0.7
set xtics rotate by -30 noenhanced
set format y "%.0f"
# bars start at zero when every lower bound is positive, so that their
# lengths compare honestly
stats datafile using 6 every ::1 nooutput
if (STATS_min >= 0) { set yrange [0:*] }
plot datafile using 0:5:xtic(2) every ::1 with boxes lc rgb "#1f77b4" notitle, \
     datafile using 0:5:6:7 every ::1 with yerrorbars lc rgb "#d62728" lw 2 pt 7 ps 0.5 notitle
