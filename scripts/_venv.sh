# Sourced by scripts/run and scripts/test: make .venv with Python 3.12+ and install the project.
# Usage: source scripts/_venv.sh [extras]   (extras: "dev" for the test tools)
set -euo pipefail

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3 python3.12 python3.13 python3.14; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  python_bin=$(pick_python) || {
    echo "Story Engine needs Python 3.12 or newer (python3.12 or a pyenv 3.12 for .python-version)." >&2
    exit 1
  }
  echo "Creating .venv with $($python_bin --version)"
  rm -rf .venv
  "$python_bin" -m venv .venv
fi

extras="${1:-}"
stamp=".venv/.installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install --quiet ".[$extras]"
  else
    .venv/bin/python -m pip install --quiet .
  fi
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
