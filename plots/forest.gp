# forest.gp - each policy's net margin gained over no campaign, paired by
# replication, with its interval, against a zero line: the differences
# themselves, not absolute bars from 0 on which a gain of 1-5% is invisible.
# Variables: fmt, outfile, datafile (bounds.csv of clvsim run: policy in
# column 1, diff_vs_none, diff_lo, diff_hi in columns 5-7, label in column
# 11), title_text, currency.  The rows of none (0 by definition) and of
# the loose hindsight bound are left out.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "net margin gained over no campaign (" . currency . "), paired by replication"
set key off
set grid xtics ytics lc rgb "#dddddd"
set ytics noenhanced
set format x "%+.0f"
set offsets 0, 0, 0.5, 0.5
set lmargin 24
keep(c) = (strcol(1) eq "none" || strcol(1) eq "hindsight") ? NaN : column(c)
set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb "#555555" lw 1.5 dt 2
plot datafile using (keep(5)):(-$0):(keep(6)):(keep(7)):ytic(11) every ::1 with xerrorbars \
         lc rgb "#1f77b4" lw 2 pt 7 ps 1.2 notitle
