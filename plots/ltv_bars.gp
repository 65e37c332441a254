# ltv_bars.gp - a bar per row of a CSV (the LTV predictor's explanations),
# in the order of the file, with optional error bars.
# Variables: fmt, outfile, datafile (a CSV with a header; column 1 the
# bar's label), ycol (the column of the bar's height), locol and hicol
# (columns of the error bar's ends; 0 for none), title_text, ylabel_text.
load dir . "/common.gp"
set title title_text noenhanced
set ylabel ylabel_text noenhanced
set key top right box opaque noenhanced
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -45 noenhanced
set xzeroaxis lt 1 lw 1
yc = int(ycol)
lc = int(locol)
hc = int(hicol)
if (lc > 0) {
    plot datafile using 0:yc:xtic(1) every ::1 with boxes lt 2 title "mean over the repeats", \
         datafile using 0:yc:lc:hc every ::1 with yerrorbars lt 1 pt 0 title "95% interval"
} else {
    unset key
    plot datafile using 0:yc:xtic(1) every ::1 with boxes lt 2 notitle
}
