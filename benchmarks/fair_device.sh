#!/bin/bash
# Issue 25's Fashion-MNIST fair rows on a GPU machine within a time budget (`fair_table.py`, one process a row, all at
# once). First the expert buffers the trajectory rows share are built one recipe at a time (a 1-iteration distillation
# into a scratch folder each), since parallel rows of one recipe would each write the same buffer; the teachers come
# from benchmarks/results/fair_teachers/. Rows unfinished at DEADLINE are simply absent: `fair_table.py` runs them
# again later. Rows of one seed running at once each evaluate that seed's random-real runs (the shared run file is
# read at start): work done twice, cheap next to the rows on a GPU. Rows, random-real runs, teachers and logs are
# packed into $OUT/back.tgz; rows record the GPU's name.
#
#     JOBS="herding:10:0 dm:10:0 mtt:10:0" DEADLINE=540 bash benchmarks/fair_device.sh
#
# On a bare machine: see benchmarks/device_setup.sh.
set -u
T0=$(date +%s)
EXPERTS=${EXPERTS-"mtt datm pad"}  # methods whose expert buffers are built first, one after another ("": none)
JOBS=${JOBS:-"herding:10:0 kcenter:10:0 el2n:10:0 rded:10:0 sre2l:10:0 dc:10:0 dsa:10:0 dm:10:0 mtt:10:0 tesla:10:0
datm:10:0 pad:10:0"}
DEADLINE=${DEADLINE:-540}; OUT=${OUT:-/tmp/out}
mkdir -p $OUT/logs
source benchmarks/device_setup.sh
left() { local s=$(( DEADLINE - ($(date +%s) - T0) )); echo $(( s > 1 ? s : 1 )); }  # `timeout 0` never ends
for m in $EXPERTS; do
  timeout $(left) dd_nb_distill --dataset fashion-mnist --method $m --ipc 10 --seed 0 --iterations 1 --no-eval \
    --out /tmp/experts-$m --overwrite --quiet > $OUT/logs/experts-$m.log 2>&1
  echo "$m experts at $(( $(date +%s) - T0 )) s"
done
for j in $JOBS; do IFS=: read m i s <<< "$j"
  timeout $(left) python3 benchmarks/fair_table.py --dataset fashion-mnist --methods $m --ipcs $i --seeds $s \
    > $OUT/logs/row-$m-$i-$s.log 2>&1 &
done; wait
echo "rows done at $(( $(date +%s) - T0 )) s"
grep -h '^{' $OUT/logs/row-*.log | cut -c1-300
tar czf $OUT/back.tgz benchmarks/results/fair_table.jsonl benchmarks/results/fair_random_runs.jsonl \
  benchmarks/results/fair_set_runs.jsonl \
  benchmarks/results/fair_teachers runs/fair $OUT/logs 2>/dev/null
ls -la $OUT
