#!/usr/bin/env bash
# The anchor for page weight: the gzip size of the JS + CSS a browser needs to open an
# Enketo form (ODK's web form engine), built the way a deployment would build it.
#
#   bash bench/enketo_anchor.sh            # prints JSON and writes bench/out/enketo_anchor.json
#
# Exactly what it does, in a temporary directory:
#   1. npm install enketo-core@9.0.1 esbuild@0.28.2 sass@1 -- with two npm "overrides" that
#      the registry-only network here needs: enketo-core 9.0.1 pins leaflet-draw to a GitHub
#      commit (replaced by the registry's leaflet-draw 1.0.4, the same library) and
#      openrosa-xpath-evaluator 3.2.0, which the registry does not have (3.1.0 used).
#   2. esbuild --bundle --minify an entry that imports { Form } from 'enketo-core' (the form
#      engine with its default widget set, which is what a page needs to open a form).
#   3. sass --style=compressed the "formhub" theme (enketo-core/src/sass/formhub/formhub.scss),
#      after rewriting the monorepo's absolute '/packages/enketo-core/node_modules/' imports.
#   4. gzip -9 both and add the sizes. Fonts and the form's own XML are not counted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/out"; mkdir -p "$out"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
cat > package.json <<'JSON'
{"name":"enketo-anchor","version":"1.0.0","private":true,
 "dependencies":{"enketo-core":"9.0.1","esbuild":"0.28.2","sass":"^1.80.0"},
 "overrides":{"leaflet-draw":"1.0.4","openrosa-xpath-evaluator":"3.1.0"}}
JSON
npm install --no-audit --no-fund --silent >/dev/null 2>&1
printf "import { Form } from 'enketo-core';\nwindow.EnketoForm = Form;\n" > entry.js
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --platform=browser \
  --outfile=enketo.js --log-level=error
cp -r node_modules/enketo-core/src scss
grep -rl "/packages/enketo-core/node_modules/" scss | xargs -r sed -i 's#/packages/enketo-core/node_modules/#node_modules/#g'
node_modules/.bin/sass --no-source-map --style=compressed --quiet --load-path=. \
  --load-path=node_modules scss/sass/formhub/formhub.scss formhub.css
js=$(gzip -9 -c enketo.js | wc -c); css=$(gzip -9 -c formhub.css | wc -c)
printf '{"enketo_core": "9.0.1", "js_gzip": %d, "css_gzip": %d, "total_gzip": %d, "measured": "%s"}\n' \
  "$js" "$css" "$((js + css))" "$(date -u +%Y-%m-%d)" | tee "$out/enketo_anchor.json"
