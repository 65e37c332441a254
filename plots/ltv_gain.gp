# ltv_gain.gp - gain (Lorenz) curves of value rankings: the share of the
# value held by the top share of customers, by each model's prediction,
# with the diagonal of a random order.
# Variables: fmt, outfile, datafile (ltv_gain.csv of clvsim train-ltv:
# curve,share_of_customers,share_of_value), curves (space-separated curve
# names to draw), title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "share of customers, highest predictions first"
set ylabel "share of the value they realised"
set key bottom right box opaque noenhanced
set xrange [0:1]
set yrange [0:1]
plot x with lines lt 1 dt 3 title "random order", \
     for [i=1:words(curves)] datafile using 2:(strcol(1) eq word(curves, i) ? $3 : NaN) every ::1 \
         with lines lt i+1 lw 2.5 title word(curves, i)
