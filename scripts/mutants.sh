#!/usr/bin/env bash
# Mutation testing with cargo-mutants (27.x): which changes to the code no
# test notices. The last results, per file, are in MUTANTS.md.
#
#   cargo install cargo-mutants --locked
#   scripts/mutants.sh                 # every group below, one after another
#   scripts/mutants.sh retry webhooks  # some groups
#   scripts/mutants.sh retry -- --baseline skip --timeout 120   # extra cargo-mutants options
#
# Groups: retry (src/retry/, src/tls.rs), webhooks (src/webhooks/), shim, idempotency,
# error, body (src/<group>.rs), rewrite (codegen/src/rewrite.rs, send.rs,
# rule_fields.rs), server (codegen/src/server.rs, server_fields.rs), rules
# (rules/src/, the request-rule interpreter) and tls (src/tls.rs built with
# tls-ring alone). Each
# mutant runs only the test targets that exercise its group (the soak test
# never), so a mutant costs an incremental build and a few seconds of tests.
# Mutants are built one at a time in this tree (--in-place: incremental builds),
# so the script refuses to start on uncommitted changes to src/, codegen/ or rules/;
# cargo-mutants puts every file back after each mutant. Results go to
# mutants.out/<group>/mutants.out/ (caught.txt, missed.txt, unviable.txt,
# timeout.txt, outcomes.json).
# Too long for CI: see MUTANTS.md for how long each group took.
set -euo pipefail
cd "$(dirname "$0")/.."

# The redis tests must run (not be skipped) for the redis store's mutants.
export CI=true INSTA_UPDATE=no CARGO_TERM_COLOR=never

all_groups=(retry webhooks shim idempotency error body rewrite server rules tls)
groups=()
extra=()
while (($#)); do
  if [[ $1 == -- ]]; then
    shift
    extra=("$@")
    break
  fi
  groups+=("$1")
  shift
done
((${#groups[@]})) || groups=("${all_groups[@]}")

if [[ -n $(git status --porcelain -- src codegen rules) ]]; then
  echo "scripts/mutants.sh: uncommitted changes in src/, codegen/ or rules/; commit or stash them first" >&2
  exit 1
fi

# --test=NAME for each integration test target. Passed to every cargo call
# (--cargo-arg), so that each mutant's build also compiles only these
# targets, not the 30-odd test binaries and examples of the package.
tests() { printf -- '--cargo-arg=--test=%s\n' "$@"; }
# The webhook signature property tests (2 x 10,000 cases) only matter to
# webhooks; the second -- passes --skip to the test binaries.
skip_proptests=(-- -- --skip webhooks::verify::tests)

# Per file: caught, missed, timeout, unviable, and caught / (caught + missed + timeout).
summary() {
  local dir=$1
  [[ -f $dir/caught.txt ]] || return 0
  for outcome in caught missed timeout unviable; do
    cut -d: -f1 "$dir/$outcome.txt" | sed "s/\$/ $outcome/"
  done | awk '
    { n[$1, $2]++; files[$1] = 1 }
    END {
      printf "%-34s %6s %6s %7s %8s %6s\n", "file", "caught", "missed", "timeout", "unviable", "score"
      for (f in files) {
        viable = n[f, "caught"] + n[f, "missed"] + n[f, "timeout"]
        score = viable ? sprintf("%5.0f%%", 100 * n[f, "caught"] / viable) : "n/a"
        printf "%-34s %6d %6d %7d %8d %6s\n", f, n[f, "caught"], n[f, "missed"], n[f, "timeout"], n[f, "unviable"], score
      }
    }' | sort
}

# A mutant that fails a property test makes proptest write a regression
# file; those seeds belong to mutants, not to the code.
had_regressions=false
[[ -e proptest-regressions ]] && had_regressions=true

for group in "${groups[@]}"; do
  files=()
  args=(--cargo-arg=--lib)
  harness=()
  features=(--all-features)
  case $group in
    retry)
      # src/tls.rs decides which TLS failures are final (the classifier asks it).
      files=(-f 'src/retry/*.rs' -f src/tls.rs)
      mapfile -t more < <(tests classify budget policy retries replay_safety tls)
      harness=("${skip_proptests[@]}")
      ;;
    webhooks)
      files=(-f 'src/webhooks/*.rs')
      mapfile -t more < <(tests webhooks webhooks_defaults webhooks_interleaving webhooks_redis webhooks_receiver webhooks_e2e)
      ;;
    shim)
      files=(-f src/shim.rs -f src/recipe.rs -f src/transport.rs)
      mapfile -t more < <(tests classify budget retries replay_safety secrets surface hardening blocking rules_parity)
      harness=("${skip_proptests[@]}")
      ;;
    idempotency)
      files=(-f src/idempotency.rs)
      mapfile -t more < <(tests retries replay_safety surface hardening blocking)
      harness=("${skip_proptests[@]}")
      ;;
    error)
      files=(-f src/error.rs)
      # lists and tasks: the page cursor, the match count and the resume key.
      mapfile -t more < <(tests classify retries replay_safety surface hardening roundtrip secrets blocking lists tasks)
      harness=("${skip_proptests[@]}")
      ;;
    body)
      files=(-f src/body.rs)
      mapfile -t more < <(tests roundtrip surface hardening)
      harness=("${skip_proptests[@]}")
      ;;
    rewrite)
      # The generator is its own package, with its own tests.
      files=(-p layerv-qurl-codegen -f codegen/src/rewrite.rs -f codegen/src/send.rs -f codegen/src/rule_fields.rs)
      args=()
      more=()
      ;;
    server)
      # The server profile that generates the sandbox's shapes: the codegen
      # package's own tests (codegen/tests/server.rs) judge it.
      files=(-p layerv-qurl-codegen -f codegen/src/server.rs -f codegen/src/server_fields.rs)
      args=()
      more=()
      ;;
    rules)
      # The request-rule interpreter shared by client and sandbox: its own
      # package and unit tests.
      files=(-p layerv-qurl-rules -f 'rules/src/*.rs')
      args=()
      more=()
      ;;
    tls)
      # Installing ring's provider only matters when ring is the one TLS
      # feature (with --all-features reqwest picks native-tls). Only the TLS
      # tests: the classifier's build raw reqwest clients, which need a
      # provider installed under tls-ring; the retry group runs those.
      files=(-f src/tls.rs)
      features=(--no-default-features --features blocking,tls-ring)
      args=()
      mapfile -t more < <(tests tls)
      ;;
    *)
      echo "scripts/mutants.sh: unknown group $group (groups: ${all_groups[*]})" >&2
      exit 2
      ;;
  esac
  echo "== $group: $(date -u +%FT%TZ)"
  mkdir -p "mutants.out/$group"
  started=$SECONDS
  status=0
  # A floor of 60 s under the auto-set test timeout (5 times the baseline's
  # test time): on a shared machine a slow run is not a hang.
  nice -n 19 cargo mutants --in-place "${features[@]}" --no-shuffle --minimum-test-timeout 60 \
    -o "mutants.out/$group" "${files[@]}" "${args[@]}" "${more[@]}" \
    "${extra[@]}" "${harness[@]}" || status=$?
  echo "== $group: exit $status after $((SECONDS - started)) s"
  summary "mutants.out/$group/mutants.out"
done
$had_regressions || rm -rf proptest-regressions
