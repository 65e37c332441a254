# fit_history.gp - one customer's P(alive) day by day over its calibration
# period under each fitted model (lifetimes' plot_history_alive), its
# purchase days marked.
# Variables: fmt, outfile, datafile (customer,date,x,t_x,T,purchase,
# p_alive_<model>...), ncols, title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xdata time
set timefmt "%Y-%m-%d"
set format x "%b %Y"
set xlabel "calendar date"
set ylabel "P(alive)"
set yrange [0:1.05]
set key bottom left noenhanced
plot for [i=7:ncols] datafile using 2:i with lines lt (i-5) title columnheader(i), \
     datafile using 2:($6 > 0 ? 1.0 : 1/0) with impulses lc rgb "#aaaaaa" lw 1 title "purchase day"
