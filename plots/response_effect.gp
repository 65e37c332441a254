# response_effect.gp - the rate ratio of purchase against the control arm by
# level of one covariate, with its interval, one series per treated arm, and
# the line of no effect.
# Variables: fmt, outfile, datafile (effect_COVARIATE.csv of clvsim
# fit-response: level_index,level, then per treated arm ratio,lo,hi),
# series (treated arms), title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "level"
set ylabel "rate ratio against control (log scale)"
set key top right box opaque noenhanced
set logscale y
set xtics noenhanced rotate by -30
set offsets 0.5, 0.5, 0, 0
n = int(series)
w = 0.5 / n
# the levels' labels once, at the whole numbers; the arms' points beside them
plot 1 with lines lt 1 lw 1 dt 3 notitle, \
     datafile using 1:(1):xtic(2) with points ps 0 notitle, \
     for [k=1:n] datafile using ($1 + (k - (n + 1) / 2.0) * w):(column(3 * k)):(column(3 * k + 1)):(column(3 * k + 2)) \
         with yerrorbars lt (k + 1) dt 1 pt 7 ps 1.1 title columnhead(3 * k)
