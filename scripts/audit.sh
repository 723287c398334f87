#!/usr/bin/env bash
# `make audit`: known vulnerabilities in the pinned dependencies (requirements.lock), by pip-audit
# in a tools venv of its own (.venv-tools: pip-audit never enters the product's environment).
# Accepted findings are listed with their reason in docs/dependency-audit.md ("| ID | package | why |").
# Fails on any finding not listed there. Where no vulnerability database can be reached (this
# project's sandbox reaches neither PyPI's JSON API nor OSV), it says loudly that nothing was audited.
set -uo pipefail
cd "$(dirname "$0")/.."
TOOLS=.venv-tools
if [ ! -x "$TOOLS/bin/pip-audit" ]; then
  PY="$(bash scripts/find-python.sh)" && "$PY" -m venv "$TOOLS" && "$TOOLS/bin/pip" install --quiet "pip-audit==2.10.1" \
    || { echo "AUDIT NOT RUN: could not install pip-audit"; exit 0; }
fi
ignores=()
while read -r id; do ignores+=(--ignore-vuln "$id"); done < <(grep -oE '^\| (PYSEC|GHSA|CVE)-[A-Za-z0-9-]+' docs/dependency-audit.md | cut -c3-)
mkdir -p results
for service in pypi osv; do
  "$TOOLS/bin/pip-audit" -r requirements.lock -r requirements-model.lock --no-deps --disable-pip --progress-spinner off -s "$service" \
    "${ignores[@]}" >results/audit.txt 2>&1
  status=$?
  unaudited=$(grep -c "could not be audited" results/audit.txt)
  total=$(cat requirements.lock requirements-model.lock | grep -cE '^[A-Za-z0-9]')
  if grep -qiE "ConnectionError|Max retries|Name or service not known" results/audit.txt || [ "$unaudited" -ge "$total" ]; then
    echo "AUDIT NOT RUN against $service: its vulnerability data cannot be reached from here ($unaudited of $total packages unaudited)"
    continue
  fi
  cat results/audit.txt
  [ "$status" -eq 0 ] || { echo "pip-audit ($service) found vulnerabilities not explained in docs/dependency-audit.md"; exit 1; }
  echo "pip-audit ($service): no unexplained known vulnerabilities in requirements.lock ($unaudited packages could not be audited)"
  exit 0
done
echo "=== WARNING: DEPENDENCIES NOT AUDITED: no vulnerability service reachable (see results/audit.txt) ==="
exit 0
