#!/bin/sh
# npm test. With arguments, jest with them. Without: the type checks, the unit tests and two halves of the integration
# tests run side by side, each half on a local stack of its own (the files within a half one at a time, as they
# share their stack), so the run takes about as long as one half. The halves are cut by how long their files take:
# the browser, restart, fuzz and local-stack tests in one, the rest in the other. Each part's
# output is printed after the first half's, and any failure fails the run.
LONG='test/integration/(console-browser|restart|graceful-restart|hot-customer|admin-api-fuzz|local-stack)\.test\.ts'
if [ $# -gt 0 ]; then exec npx jest "$@"; fi
dir=$(mktemp -d)
npx tsc --noEmit >"$dir/tsc-backend" 2>&1 &
backend=$!
npx tsc -p console --noEmit >"$dir/tsc-console" 2>&1 &
console=$!
npx jest --selectProjects unit >"$dir/unit" 2>&1 &
unit=$!
npx jest --selectProjects integration --testPathPattern "$LONG" >"$dir/integration-2" 2>&1 &
second=$!
npx jest --selectProjects integration --testPathIgnorePatterns "$LONG"
first=$?
failed=0
for part in tsc-backend:$backend tsc-console:$console unit:$unit integration-2:$second; do
  name=${part%%:*}
  if ! wait "${part##*:}"; then
    failed=1
    echo "---- $name failed:"
    cat "$dir/$name"
  fi
done
for name in unit integration-2; do grep -E '^(Tests|Test Suites):' "$dir/$name" | sed "s/^/$name: /"; done
rm -rf "$dir"
[ $first -eq 0 ] && [ $failed -eq 0 ]
