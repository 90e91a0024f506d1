#!/bin/bash -l
#BSUB -e %J.err
#BSUB -o %J.out
#BSUB -n 16
#BSUB -R 'span[ptile=8]'
#BSUB -q gpu
#BSUB -gpu 'num=2:mode=shared:j_exclusive=yes'
#BSUB -W 01:30
#BSUB -M 4096MB
#BSUB -P chem
#BSUB -R "select[hname != g005]"
