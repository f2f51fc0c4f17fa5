#!/bin/sh
# Regenerate the pictures and printed numbers of doc/tutorial.md by running
# every example on a model (default: the shipped models/default.safetensors.gz).
#
#   doc/tutorial/make_pictures.sh BUILD_DIR [MODEL]
#
# BUILD_DIR is a configured build tree where `make check` (or
# `make examples/softmax ...`) has built the examples.  Each example's
# output goes to doc/tutorial/NAME.txt, its pictures to doc/tutorial/, and
# the posterior picture is also copied to doc/tutorial/readme.png for the
# README.  Rerun it when a better model ships, then read the .txt files and
# update the numbers quoted in doc/tutorial.md.
set -e
build=${1:?usage: make_pictures.sh BUILD_DIR [MODEL]}
here=$(cd "$(dirname "$0")" && pwd)
model=${2:-$here/../../models/default.safetensors.gz}
OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS

cd "$build"
make examples/softmax examples/svd examples/gates examples/posterior examples/spectra \
    examples/snip examples/suppress examples/timegram > /dev/null
for name in softmax svd gates posterior spectra snip suppress timegram; do
    echo "examples/$name"
    # Only pictures and the tune go to the tutorial folder; the paths the
    # examples print are shown relative to it.
    ./examples/$name "$model" "$here" | sed "s|$here/||; s|$model|$(basename "$model")|" \
        > "$here/$name.txt"
done
cp "$here/posterior.png" "$here/readme.png"
ls -l "$here"
