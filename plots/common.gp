# common.gp - terminal, size and style shared by every clvsim figure.
# Variables from the caller: fmt ("png" or "svg"), outfile.
if (fmt eq "svg") {
    set terminal svg size 1000,600 dynamic enhanced font "sans,13" background rgb "white"
} else {
    set terminal pngcairo size 1000,600 enhanced font "sans,11" background rgb "white"
}
set output outfile
set datafile separator ","
set key top left box opaque
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set linetype 1 lc rgb "#222222" lw 2.5
set linetype 2 lc rgb "#1f77b4" lw 2 dt 2
set linetype 3 lc rgb "#d62728" lw 2 dt 4
set linetype 4 lc rgb "#2ca02c" lw 2 dt 5
