#!/usr/bin/env bash
# Build the hook image from the Dockerfile (the one definition of the image) with the first
# container engine that answers: docker, then podman, or the one given.
#
#   bash tools/image.sh <name:tag> [engine]
set -euo pipefail
image=$1
candidates=("${@:2}")
[ "${#candidates[@]}" -gt 0 ] || candidates=(docker podman)
cd "$(dirname "$0")/.."
reasons=()
for engine in "${candidates[@]}"; do
	if ! command -v "$engine" >/dev/null 2>&1; then
		reasons+=("$engine: not installed")
	elif ! "$engine" info >/dev/null 2>&1; then
		reasons+=("$engine: installed, but no engine answers ('$engine info' fails; is its daemon or service running?)")
	else
		echo "make image: $engine build -t $image ."
		exec "$engine" build -t "$image" -f Dockerfile .
	fi
done
{
	echo "make image: no container engine to build $image with:"
	printf '  %s\n' "${reasons[@]}"
	echo "The image is defined by the Dockerfile: run 'make image' where docker or podman runs,"
	echo "or build the Dockerfile with any OCI image builder, then push it to your registry."
} >&2
exit 1
