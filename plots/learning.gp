# learning.gp - learning curves of the tabular agents: net margin per
# customer in each training episode (points) and its moving average (lines).
# Variables: fmt, outfile, datafile (algorithm,episode,epsilon,return,moving_average),
# algos (space-separated names present in the data), title_text, currency.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "training episode"
set ylabel "net margin per customer per episode (" . currency . ")"
set key bottom right box opaque noenhanced
plot for [i=1:words(algos)] datafile using 2:(strcol(1) eq word(algos, i) ? $4 : NaN) \
         with points pt 7 ps 0.4 lc i+1 notitle, \
     for [i=1:words(algos)] datafile using 2:(strcol(1) eq word(algos, i) ? $5 : NaN) \
         with lines lt i+1 lw 2.5 title word(algos, i) . ", moving average of 10"
