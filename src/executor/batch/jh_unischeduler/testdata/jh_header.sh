#!/bin/bash -l
#JSUB -e %J.err
#JSUB -o %J.out
#JSUB -n 16
#JSUB -R 'span[ptile=8]'
#JSUB -q gpu
#JSUB -gpgpu 2
#JSUB -W 01:30
#JSUB -M 4096MB
#JSUB -P chem
#JSUB -R "select[hname != g005]"
