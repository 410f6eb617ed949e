#!/usr/bin/env bash
# Run make targets one after another, stop at the first that fails, and end (pass or fail) with
# how long each one took: wall-clock seconds, and the CPU seconds of everything it ran, which
# stay meaningful on a machine other work shares.
#
#   bash tools/stages.sh <make> <target>...
set -uo pipefail
make=$1
shift

# CPU milliseconds (user + system) of every finished child process so far, from bash's `times`
# (run in this shell, not a subshell, whose own children would be counted instead), into $cpu.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
read_cpu() {
	local user system
	times >"$times_file"
	read -r user system < <(tail -n 1 "$times_file")
	cpu=$(($(to_ms "$user") + $(to_ms "$system")))
}
to_ms() { # 1m2.345s -> 62345
	local minutes=${1%%m*} rest=${1#*m}
	rest=${rest%s}
	echo $(((10#$minutes * 60 + 10#${rest%.*}) * 1000 + 10#${rest#*.}))
}
seconds() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

names=()
walls=()
cpus=()
failed=""
for stage in "$@"; do
	start=$(date +%s%N)
	read_cpu
	cpu_start=$cpu
	$make --no-print-directory "$stage"
	status=$?
	read_cpu
	names+=("$stage")
	walls+=("$((($(date +%s%N) - start) / 1000000))")
	cpus+=("$((cpu - cpu_start))")
	if [ "$status" -ne 0 ]; then
		failed=$stage
		break
	fi
done
wall_total=0
cpu_total=0
echo
echo "make test: where the time went"
printf '  %-12s %9s %9s\n' stage wall cpu
for i in "${!names[@]}"; do
	wall_total=$((wall_total + walls[i]))
	cpu_total=$((cpu_total + cpus[i]))
	mark=""
	[ "${names[$i]}" = "$failed" ] && mark="  FAILED"
	printf '  %-12s %7s s %7s s%s\n' "${names[$i]}" "$(seconds "${walls[$i]}")" "$(seconds "${cpus[$i]}")" "$mark"
done
printf '  %-12s %7s s %7s s\n' total "$(seconds "$wall_total")" "$(seconds "$cpu_total")"
for stage in "$@"; do
	case " ${names[*]} " in *" $stage "*) ;; *) echo "  $stage: not run" ;; esac
done
[ -z "$failed" ]
