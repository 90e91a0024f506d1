#!/bin/bash
#PJM -L "rscgrp=small"
#PJM -L "node=4"
#PJM --mpi "max-proc-per-node=48"
#PJM -L "elapse=01:30:00"
#PJM -g hp000000
#PJM -x PJM_LLIO_GFSCACHE=/vol0004
