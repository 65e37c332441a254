# learning.gp - learning curves of the tabular agents: net margin per
# customer in each training episode, and its moving average.
# Variables: fmt, outfile, datafile (algorithm,episode,epsilon,return,moving_average), title_text, currency.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "training episode"
set ylabel "net margin per customer per episode (" . currency . ")"
set key bottom right box opaque
stats datafile using 2 nooutput
plot datafile using 2:(strcol(1) eq "q-learning" ? $4 : NaN) with points pt 7 ps 0.3 lc rgb "#9ecae1" title "q-learning, each episode", \
     datafile using 2:(strcol(1) eq "q-learning" ? $5 : NaN) with lines lw 2.5 lc rgb "#1f77b4" title "q-learning, moving average", \
     datafile using 2:(strcol(1) eq "sarsa" ? $4 : NaN) with points pt 7 ps 0.3 lc rgb "#fcae91" title "sarsa, each episode", \
     datafile using 2:(strcol(1) eq "sarsa" ? $5 : NaN) with lines lw 2.5 lc rgb "#d62728" title "sarsa, moving average", \
     datafile using 2:(strcol(1) eq "expected-sarsa" ? $4 : NaN) with points pt 7 ps 0.3 lc rgb "#a1d99b" title "expected-sarsa, each episode", \
     datafile using 2:(strcol(1) eq "expected-sarsa" ? $5 : NaN) with lines lw 2.5 lc rgb "#2ca02c" title "expected-sarsa, moving average"
