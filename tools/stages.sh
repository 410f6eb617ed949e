#!/usr/bin/env bash
# Run make targets in order, stop after the first that fails, and end (pass or fail) with how long
# each one took: wall-clock seconds, and the CPU seconds of everything it ran, which stay meaningful
# on a machine other work shares.
#
#   bash tools/stages.sh <make> <step>...
#
# A step is a target, or lanes joined by "+" that run at the same time, each lane one target or
# several joined by "," that run one after another ("test-pinot+test-unit,test-helm"). The first
# lane has the machine first: it prints as it goes; the others run under `nice` (they take the CPU
# the first leaves idle, so its timing-sensitive tests keep their pace) and print their output when
# the step ends. A step fails if any of its lanes does; a lane stops at its first failing target.
set -uo pipefail
make=$1
shift

started_ns=$(date +%s%N)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# CPU milliseconds (user + system) of every finished child process of this shell so far, from
# bash's `times` (of the shell it runs in: a lane's subshell counts its own targets), into $cpu.
read_cpu() {
	local user system file="$work/times.$BASHPID"
	times >"$file"
	read -r user system < <(tail -n 1 "$file")
	cpu=$(($(to_ms "$user") + $(to_ms "$system")))
}
to_ms() { # 1m2.345s -> 62345
	local minutes=${1%%m*} rest=${1#*m}
	rest=${rest%s}
	echo $(((10#$minutes * 60 + 10#${rest%.*}) * 1000 + 10#${rest#*.}))
}
seconds() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# Run one lane's targets in order, appending "target wall-ms cpu-ms status" lines to $1.
run_lane() {
	local results=$1 target start cpu_start status
	shift
	for target in "$@"; do
		start=$(date +%s%N)
		read_cpu
		cpu_start=$cpu
		$make --no-print-directory "$target"
		status=$?
		read_cpu
		echo "$target $((($(date +%s%N) - start) / 1000000)) $((cpu - cpu_start)) $status" >>"$results"
		[ "$status" -eq 0 ] || return "$status"
	done
}

names=()
walls=()
cpus=()
failed=()
ran=() # "<step index>:<target>" of every target that ran
steps=("$@")
for s in "${!steps[@]}"; do
	IFS=+ read -r -a lanes <<<"${steps[$s]}"
	results="$work/results.$s"
	pids=()
	for i in "${!lanes[@]}"; do
		IFS=, read -r -a targets <<<"${lanes[$i]}"
		if [ "$i" -eq 0 ]; then
			(run_lane "$results.$i" "${targets[@]}") &
		else
			(renice -n 10 -p "$BASHPID" >/dev/null || echo "stages: could not renice this lane; it runs at normal priority"
			run_lane "$results.$i" "${targets[@]}") >"$work/out.$i" 2>&1 &
		fi
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		if [ "$i" -gt 0 ]; then
			echo
			echo "---- output of ${lanes[$i]//,/, } (ran beside ${lanes[0]//,/, }) ----"
			cat "$work/out.$i"
		fi
	done
	for i in "${!lanes[@]}"; do
		[ -f "$results.$i" ] || continue
		while read -r target wall cpu status; do
			names+=("$target")
			ran+=("$s:$target")
			walls+=("$wall")
			cpus+=("$cpu")
			[ "$status" -eq 0 ] || failed+=("$target")
		done <"$results.$i"
	done
	[ "${#failed[@]}" -eq 0 ] || break
done

echo
echo "make test: where the time went"
printf '  %-12s %9s %9s\n' stage wall cpu
cpu_total=0
for i in "${!names[@]}"; do
	cpu_total=$((cpu_total + cpus[i]))
	mark=""
	case " ${failed[*]-} " in *" ${names[$i]} "*) mark="  FAILED" ;; esac
	printf '  %-12s %7s s %7s s%s\n' "${names[$i]}" "$(seconds "${walls[$i]}")" "$(seconds "${cpus[$i]}")" "$mark"
done
for step in "$@"; do
	case "$step" in *[+,]*) printf '  %s\n' "(${step//+/ beside }: at the same time)" ;; esac
done
wall_total=$((($(date +%s%N) - started_ns) / 1000000))
printf '  %-12s %7s s %7s s\n' total "$(seconds "$wall_total")" "$(seconds "$cpu_total")"
missing=0
for s in "${!steps[@]}"; do
	IFS='+,' read -r -a targets <<<"${steps[$s]}"
	for target in "${targets[@]}"; do
		case " ${ran[*]-} " in *" $s:$target "*) ;; *)
			echo "  $target: not run"
			missing=1
			;;
		esac
	done
done
# A target that did not run although none failed (a lane that died) fails the run too.
[ "${#failed[@]}" -eq 0 ] && [ "$missing" -eq 0 ]
