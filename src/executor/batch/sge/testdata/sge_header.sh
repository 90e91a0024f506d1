#!/bin/bash
#$ -S /bin/bash
#$ -cwd
#$ -N lammps
#$ -pe smp 8
#$ -q all.q
#$ -l h_rt=01:30:00
#$ -l h_vmem=4096M
#$ -A chem
#$ -l gpu=2
