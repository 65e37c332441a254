# heatmap.gp - a learned policy as a state x action heatmap.
# Variables: fmt, outfile, datafile (heatmap_<policy>.csv of clvsim run: a
# header row of action names, then per state its description and, per
# action, Q(s,a) - Q(s, no coupon at list price); empty where never tried),
# title_text.
load dir . "/common.gp"
set terminal push
if (fmt eq "svg") {
    set terminal svg size 1500,950 dynamic enhanced font "sans,11" background rgb "white"
} else {
    set terminal pngcairo size 1500,950 enhanced font "sans,9" background rgb "white"
}
set output outfile
set title title_text noenhanced
set x2label "action: coupon @ price multiplier (tick labels below)" noenhanced
unset xlabel
set ylabel ""
set key off
# the state labels on the left, the rotated action labels below: room for both
set lmargin at screen 0.40
set rmargin at screen 0.88
set bmargin 6
set grid noytics
set xtics rotate by -45 noenhanced
set ytics noenhanced font ",8"
set palette defined (-1 "#d62728", 0 "#ffffff", 1 "#1f77b4")
# the largest |advantage|, never-tried cells counted as 0: gnuplot's stats
# of a matrix with missing values can give NaN for its maximum (a colour
# range of NaN leaves every point undefined and the plot fails)
stats datafile matrix rowheaders columnheaders using ($3 == $3 ? abs($3) : 0) nooutput
m = STATS_max
if (!(m > 0)) { m = 1 }
set cbrange [-m:m]
set cblabel "advantage over no coupon at list price"
set yrange [] reverse
plot datafile matrix rowheaders columnheaders using 1:2:3 with image
