#!/bin/sh
# npm test. With arguments, jest with them. Without: the type checks and the unit tests run beside the integration
# tests (ts-jest only transpiles, and the unit tests touch no emulator), so the run takes about as long as the
# integration tests; each part's findings are printed after them, and any failure fails the run.
if [ $# -gt 0 ]; then exec npx jest "$@"; fi
dir=$(mktemp -d)
npx tsc --noEmit >"$dir/tsc-backend" 2>&1 &
backend=$!
npx tsc -p console --noEmit >"$dir/tsc-console" 2>&1 &
console=$!
npx jest --selectProjects unit >"$dir/unit" 2>&1 &
unit=$!
npx jest --selectProjects integration
integration=$?
failed=0
for part in backend:$backend console:$console unit:$unit; do
  name=${part%%:*}
  if ! wait "${part##*:}"; then
    failed=1
    echo "---- $name failed:"
    cat "$dir/tsc-$name" "$dir/$name" 2>/dev/null
  fi
done
grep -E '^(Tests|Test Suites):' "$dir/unit" | sed 's/^/unit: /'
rm -rf "$dir"
[ $integration -eq 0 ] && [ $failed -eq 0 ]
