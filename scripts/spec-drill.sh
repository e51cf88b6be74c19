#!/usr/bin/env bash
# The sandbox's spec drill: change the spec the way an API upgrade might, and
# check that the sandbox no longer builds, at the place that fills or reads
# the changed shape. The sandbox's shapes are generated from the spec
# (codegen's server profile), so each change below must be a compile error:
#
#   a response field renamed   QurlSummary.use_count -> usage_count   E0560
#   an enum value added        DomainData.status += "suspended"      E0004
#   a request field renamed    ResolveQurlRequest.access_token -> token  E0609
#   an envelope member renamed QurlResponse.data -> payload          E0560
#
# It works on a scratch copy of the workspace with the sandbox's spec
# replaced; the checkout is not touched. Checking uses its own target folder
# (target/spec-drill), so a running build is not disturbed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

tar -C "$repo" --exclude=./target --exclude=./.git -cf - . | tar -C "$scratch" -xf -
rm "$scratch/sandbox/openapi.json"
python3 - "$repo/openapi.json" "$scratch/sandbox/openapi.json" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    spec = json.load(f)
schemas = spec["components"]["schemas"]

def rename(schema, old, new):
    properties = schemas[schema]["properties"]
    properties[new] = properties.pop(old)
    required = schemas[schema].get("required", [])
    schemas[schema]["required"] = [new if r == old else r for r in required]
    if not schemas[schema]["required"]:
        del schemas[schema]["required"]

rename("QurlSummary", "use_count", "usage_count")
schemas["DomainData"]["properties"]["status"]["enum"].append("suspended")
rename("ResolveQurlRequest", "access_token", "token")
rename("QurlResponse", "data", "payload")

with open(sys.argv[2], "w") as f:
    json.dump(spec, f, indent=2)
EOF

log="$scratch/check.log"
if CARGO_TARGET_DIR="$repo/target/spec-drill" cargo check --quiet \
  --manifest-path "$scratch/Cargo.toml" -p layerv-qurl-sandbox >"$log" 2>&1; then
  echo "spec drill: FAILED, the sandbox still builds against the changed spec" >&2
  exit 1
fi

missing=0
expect() {
  if grep -Eq -- "$1" "$log"; then
    echo "spec drill: $2: compile error, as it should be"
  else
    echo "spec drill: FAILED, $2: no error \`$1\`" >&2
    missing=1
  fi
}
# rustc names the types by their module path, `generated::...`.
at='(generated::)?'
expect "struct \`${at}QurlSummary\` has no field named \`use_count\`" "renamed response field"
expect "\`${at}DomainDataStatus::Suspended\` not covered" "new enum value"
expect "no field \`access_token\` on type \`${at}ResolveQurlRequest\`" "renamed request field"
expect "struct \`${at}QurlResponse\` has no field named \`data\`" "renamed envelope member"
if [ "$missing" -ne 0 ]; then
  echo "--- cargo check said:" >&2
  grep -E '^error' "$log" >&2 || cat "$log" >&2
  exit 1
fi
