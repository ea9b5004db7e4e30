#!/usr/bin/env bash
# ci/demo.sh - build ctest-trace and trace the example pipeline suite.
#
# Installs missing Debian packages (ci/deps.sh), builds into build/, runs
# examples/pipeline traced, then shows the tasks and regions it recorded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash ci/deps.sh

if [[ -f build/meson-private/coredata.dat ]]; then
    meson setup --reconfigure build
else
    meson setup build
fi
meson compile -C build

trace=build/demo-trace.out
ct=build/runner/ctest-trace

echo
echo "\$ ctest-trace --trace=$trace -v -run TestPipeline build/examples/pipeline/pipeline_test"
"$ct" --trace="$trace" -v -run TestPipeline build/examples/pipeline/pipeline_test

echo
echo "\$ ctest-trace tasks $trace"
"$ct" tasks "$trace"

echo
echo "\$ ctest-trace regions $trace"
"$ct" regions "$trace"
