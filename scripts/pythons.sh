#!/usr/bin/env bash
# Install bizenv from the pinned constraints and validate the corpus with every supported
# Python found on this machine (3.11, 3.12, 3.13: on PATH or under ~/.pyenv/versions).
#   scripts/pythons.sh             validate with each
#   PYTEST=1 scripts/pythons.sh    also run the test suite with each
#   PYTHONS="python3.12 /opt/py/bin/python3.13" scripts/pythons.sh   only these interpreters
# Each gets its own virtual environment in build/venvs/ (re-created each run), with bizenv
# installed editable as `make setup` does (synth and the tests read the repository beside it).
# Exit 0 when every Python found passes, 1 when one fails, 2 when none is found.
set -uo pipefail
cd "$(dirname "$0")/.."
SUPPORTED="3.11 3.12 3.13"

find_pythons() {
  if [ -n "${PYTHONS:-}" ]; then printf '%s\n' $PYTHONS; return; fi
  for v in $SUPPORTED; do
    local found=""
    for candidate in "$(command -v "python$v" 2>/dev/null)" "$HOME"/.pyenv/versions/"$v"*/bin/"python$v"; do
      # a pyenv shim exists for every version but runs only the active ones: try it
      if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c '' 2>/dev/null; then
        found="$candidate"; break
      fi
    done
    [ -n "$found" ] && echo "$found"
  done
}

mapfile -t pythons < <(find_pythons)
if [ "${#pythons[@]}" -eq 0 ]; then
  echo "pythons: no Python of $SUPPORTED found (set PYTHONS=...)" >&2
  exit 2
fi
failed=()
for py in "${pythons[@]}"; do
  version="$("$py" -c 'import platform; print(platform.python_version())' 2>/dev/null)" || {
    echo "== $py: does not run"; failed+=("$py"); continue; }
  venv="build/venvs/py$version"
  echo "== Python $version ($py) in $venv"
  if rm -rf "$venv" && "$py" -m venv "$venv" \
     && "$venv/bin/python" -m pip install --quiet --upgrade pip \
     && "$venv/bin/python" -m pip install --quiet -c constraints.txt -e ".[test]" \
     && "$venv/bin/bizenv" validate \
     && { [ -z "${PYTEST:-}" ] || "$venv/bin/python" -m pytest -q -p no:cacheprovider; }; then
    echo "== Python $version: ok"
  else
    echo "== Python $version: FAILED"
    failed+=("$version")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "pythons: failed with ${failed[*]}" >&2
  exit 1
fi
echo "pythons: ok with ${#pythons[@]} Python(s): ${pythons[*]}"
