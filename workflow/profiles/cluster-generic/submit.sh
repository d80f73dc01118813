#!/usr/bin/env bash
# Local stand-in for a batch scheduler's submit command: start the job script (last argument) detached and
# print its process id as the job id, as sbatch --parsable would print a job id.
set -euo pipefail
jobscript="${@: -1}"
nohup bash "$jobscript" >/dev/null 2>&1 &
echo $!
