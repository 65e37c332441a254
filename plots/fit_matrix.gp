# fit_matrix.gp - a purchase model's prediction over the grid of calibration
# frequency x (rows) and recency t_x (columns) at the longest observation
# period T, as lifetimes' plot_frequency_recency_matrix and
# plot_probability_alive_matrix draw it: one cell per (x, t_x).
# Variables: fmt, outfile, datafile (x,t_x,T,expected_next,p_alive), column
# (4: expected purchases in the next unit, 5: P(alive)), half_width (half
# the t_x step), unit_label, cb_label, title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "recency t_x: time from the first to the last purchase (" . unit_label . "s)"
set ylabel "frequency x: repeat transactions"
set cblabel cb_label noenhanced
set grid noytics
set key off
set palette defined (0 "#08306b", 0.5 "#6baed6", 1 "#fff5b0")
set style fill solid 1.0 noborder
set autoscale fix
col = int(column)
hw = real(half_width)
plot datafile using 2:1:($2-hw):($2+hw):($1-0.5):($1+0.5):col with boxxy fc palette notitle
