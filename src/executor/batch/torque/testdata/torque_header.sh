#!/bin/bash -l
#PBS -l nodes=2:ppn=8:gpus=2
#PBS -q batch
#PBS -l walltime=01:30:00
#PBS -l mem=4096mb
#PBS -A chem
#PBS -l pmem=2gb
