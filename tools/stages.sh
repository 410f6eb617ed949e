#!/usr/bin/env bash
# Run make targets one after another, stop at the first that fails, and end (pass or fail) with
# how long each one took, so a slow `make test` says where its time went.
#
#   bash tools/stages.sh <make> <target>...
set -uo pipefail
make=$1
shift
names=()
seconds=()
failed=""
for stage in "$@"; do
	start=$(date +%s%N)
	$make --no-print-directory "$stage"
	status=$?
	names+=("$stage")
	seconds+=("$(( ($(date +%s%N) - start) / 1000000 ))")
	if [ "$status" -ne 0 ]; then
		failed=$stage
		break
	fi
done
total=0
echo
echo "make test: where the time went"
for i in "${!names[@]}"; do
	ms=${seconds[$i]}
	total=$((total + ms))
	mark=""
	[ "${names[$i]}" = "$failed" ] && mark="  FAILED"
	printf '  %-12s %7d.%01d s%s\n' "${names[$i]}" $((ms / 1000)) $((ms % 1000 / 100)) "$mark"
done
printf '  %-12s %7d.%01d s\n' total $((total / 1000)) $((total % 1000 / 100))
for stage in "$@"; do
	case " ${names[*]} " in *" $stage "*) ;; *) echo "  $stage: not run" ;; esac
done
[ -z "$failed" ]
