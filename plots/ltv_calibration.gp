# ltv_calibration.gp - the LTV predictor's decile calibration: each decile's
# mean realised value against its mean prediction, with the 95% interval of
# the realised mean (mean +- 1.96 standard errors) as error bars, and the
# diagonal of perfect calibration.
# Variables: fmt, outfile, datafile (ltv_calibration.csv of clvsim
# train-ltv: policy,decile,predicted,realised,realised_se,lower_95,upper_95),
# policy (whose rows to draw), title_text, currency.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "mean predicted value over the horizon (" . currency . ")"
set ylabel "mean value realised over the horizon (" . currency . ")"
set key top left box opaque noenhanced
stats datafile using (strcol(1) eq policy ? $3 : NaN) every ::1 nooutput
m1 = STATS_max
stats datafile using (strcol(1) eq policy ? $7 : NaN) every ::1 nooutput
m = (STATS_max > m1 ? STATS_max : m1) * 1.05
set xrange [0:m]
set yrange [0:m]
plot x with lines lt 2 title "perfect calibration", \
     datafile using (strcol(1) eq policy ? $3 : NaN):4:6:7 every ::1 with yerrorbars lt 3 pt 7 ps 1.2 \
         title "deciles of the prediction (95% interval of the realised mean)", \
     datafile using (strcol(1) eq policy ? $3 : NaN):4 every ::1 with lines lt 3 notitle
