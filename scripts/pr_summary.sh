#!/usr/bin/env bash
# Write the data changes of a pull request (bizenv diff against its base) as Markdown.
#   scripts/pr_summary.sh BASE_REF [OUTPUT_FILE]
# In GitHub Actions OUTPUT_FILE is $GITHUB_STEP_SUMMARY; locally it defaults to stdout.
set -euo pipefail
base="${1:?usage: scripts/pr_summary.sh BASE_REF [OUTPUT_FILE]}"
out="${2:-/dev/stdout}"
bizenv="${BIZENV:-.venv/bin/bizenv}"
base_commit="$(git rev-parse --verify --end-of-options "${base}^{commit}")"
merge_base="$(git merge-base "$base_commit" HEAD)"
{
  echo "## Data changes against \`${base}\`"
  echo
  "$bizenv" diff --format markdown -- "$merge_base" .
  echo
} >> "$out"
