# calibration.gp - the LTV estimate against what customers realised, by
# decile of the estimate, with the diagonal of perfect calibration.
# Variables: fmt, outfile, datafile (calibration.csv of clvsim run:
# policy,decile,predicted,realised), policy (whose rows to draw),
# title_text, currency.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "mean LTV estimate over the horizon at the start (" . currency . ")"
set ylabel "mean net margin realised over the horizon (" . currency . ")"
set key top left box opaque noenhanced
stats datafile using (strcol(1) eq policy ? $3 : NaN) every ::1 nooutput
m1 = STATS_max
stats datafile using (strcol(1) eq policy ? $4 : NaN) every ::1 nooutput
m = (STATS_max > m1 ? STATS_max : m1) * 1.05
set xrange [0:m]
set yrange [0:m]
plot x with lines lt 2 title "perfect calibration", \
     datafile using (strcol(1) eq policy ? $3 : NaN):4 every ::1 with linespoints lt 3 pt 7 ps 1.2 \
         title "deciles of the estimate"
