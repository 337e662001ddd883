#!/usr/bin/env bash
# The execution environment's build context (ansible-builder v3), from execution-environment.yml:
#   bash scripts/build-ee.sh [--image] [CONTEXT_DIR]
# builds the collection tarball into ee/dist (ignored by git), then `ansible-builder create`
# into CONTEXT_DIR (default $IO_CACHE/ee-context). With --image it also builds the image with docker
# (needs the base image, or EE_BASE_IMAGE pointing at a local one).
. "$(dirname "$0")/lib.sh"
cd "$IO_ROOT" || exit 1
image=false
if [ "${1:-}" = --image ]; then image=true; shift; fi
context=${1:-$IO_CACHE/ee-context}
use_venv
rm -rf ee/dist && mkdir -p ee/dist
ansible-galaxy collection build --force --output-path ee/dist . >/dev/null
ls ee/dist/*.tar.gz
ansible-builder create -f execution-environment.yml -c "$context" --output-filename Containerfile
if $image; then
  docker build -f "$context/Containerfile" ${EE_BASE_IMAGE:+--build-arg EE_BASE_IMAGE="$EE_BASE_IMAGE"} \
    -t investment-orchestration-ee:latest "$context"
fi
