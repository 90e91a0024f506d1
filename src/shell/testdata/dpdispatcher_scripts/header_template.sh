#!/bin/bash
#MYSCHED --nodes={number_node} --cpus={cpu_per_node} --gpus={gpu_per_node}
#MYSCHED --queue={queue_name} --group={group_size}
#MYSCHED --literal={{braces}}
