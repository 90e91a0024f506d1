#!/bin/bash -l
#PBS -l select=2:ncpus=8:ngpus=2:mem=4096mb
#PBS -j oe
#PBS -q workq
#PBS -l walltime=01:30:00
#PBS -A chem
#PBS -l place=scatter
