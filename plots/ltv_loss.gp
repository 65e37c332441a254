# ltv_loss.gp - the training and validation loss of the neural LTV
# predictor per epoch.
# Variables: fmt, outfile, datafile (ltv_history.csv of clvsim train-ltv:
# epoch,train_loss,validation_loss), title_text.
load dir . "/common.gp"
set title title_text noenhanced
set xlabel "epoch"
set ylabel "mean loss per customer"
set key top right box opaque
plot datafile using 1:2 every ::1 with lines lt 2 lw 2.5 title "training", \
     datafile using 1:3 every ::1 with lines lt 3 lw 2.5 title "validation (early stopping)"
