# shellcheck shell=bash
# The Kubernetes manifests (deploy/kubernetes, issue 12): render the production overlay with
# `kubectl kustomize`, validate every object with kubernetes-validate (PyPI, pinned), run
# checkov over the rendered output, and - once smflow is built - `smflow audit --kubernetes`
# over it. Source it after scripts/lib/common.sh and scripts/lib/deploy.sh (checkov), then:
#
#   kubernetes_validate_run   render + kubernetes-validate + checkov; non-zero on any failure
#   kubernetes_audit_run      smflow audit --kubernetes on the rendered file; non-zero on a fail
#
# Sets KUBERNETES_COUNTS and KUBERNETES_AUDIT_COUNTS for the caller's summary.
#
# kubectl: whatever `kubectl` is on PATH, else Debian's `kubernetes-client` package (kubectl
# 1.20, whose kustomize v2.0 the overlay is written for; newer kubectl renders the same objects).

readonly SMF_KUBERNETES_VALIDATE_VERSION=1.37.0
# Kubernetes versions whose schemas the objects must satisfy (strict: unknown fields fail):
# the oldest and the newest minor bundled with kubernetes-validate that are still supported.
readonly SMF_KUBERNETES_VERSIONS=(1.35.0 1.37.0)
# API groups of the custom resources in the overlay. kubernetes-validate bundles schemas for
# the built-in kinds only and warns "Couldn't find schema" for these; they are counted as
# skipped (their fields are the operators' to check at apply time; `smflow audit --kubernetes`
# judges the ones that matter: backups, the database's exposure and limits). A kind without a
# schema from any other group fails the step.
readonly SMF_KUBERNETES_CRD_GROUPS=(postgresql.cnpg.io barmancloud.cnpg.io external-secrets.io)
readonly SMF_KUBERNETES_OVERLAY=deploy/kubernetes/overlays/production
# Inside .build (ignored by git): kept after the run for inspection.
readonly SMF_KUBERNETES_RENDERED=.build/smflow-kubernetes/rendered.yaml

KUBERNETES_COUNTS=""
KUBERNETES_AUDIT_COUNTS=""

_kubernetes_validate_dir() { printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/smflow/kubernetes-validate-$SMF_KUBERNETES_VALIDATE_VERSION"; }

kubernetes_validate_install() {
    local dir
    dir=$(_kubernetes_validate_dir)
    [[ -x $dir/bin/kubernetes-validate ]] && return 0
    pip_venv_install "$dir" "kubernetes-validate==$SMF_KUBERNETES_VALIDATE_VERSION"
}

# kubernetes_render: the production overlay into $SMF_KUBERNETES_RENDERED.
kubernetes_render() {
    if ! command -v kubectl >/dev/null 2>&1 && { ! is_root || ! command -v apt-get >/dev/null 2>&1; }; then
        warn "kubectl not found and cannot apt-get install kubernetes-client here"
        return 1
    fi
    ensure_debian_packages kubectl:kubernetes-client
    mkdir -p -- "$(dirname -- "$SMF_KUBERNETES_RENDERED")"
    local version
    version=$(kubectl version --client 2>/dev/null | awk -F'[ "]+' '/Client Version: v[0-9]/ { print $3; exit } /GitVersion/ { for (i = 1; i <= NF; i++) if ($i ~ /^GitVersion:/) { print $(i + 1); exit } }')
    log "kubectl ${version:-?} kustomize $SMF_KUBERNETES_OVERLAY"
    # kustomize v5 warns on stderr about the v2-compatible fields (bases, patchesJson6902).
    kubectl kustomize "$SMF_KUBERNETES_OVERLAY" >"$SMF_KUBERNETES_RENDERED" 2> >(grep -v "is deprecated" >&2) \
        || { warn "kubectl kustomize $SMF_KUBERNETES_OVERLAY failed"; return 1; }
    KUBERNETES_KUBECTL_VERSION=${version:-?}
}

kubernetes_validate_run() {
    local rc=0 out objects passed skipped unknown failed counts checkov_out dir
    KUBERNETES_COUNTS=""
    kubernetes_render || return 1
    kubernetes_validate_install || return 1
    dir=$(_kubernetes_validate_dir)
    objects=$(grep -c '^kind: ' "$SMF_KUBERNETES_RENDERED")
    out=$(mktemp "${TMPDIR:-/tmp}/smflow-kubernetes-validate.XXXXXX")
    local version groups
    groups=$(IFS='|'; printf '%s' "${SMF_KUBERNETES_CRD_GROUPS[*]}")
    for version in "${SMF_KUBERNETES_VERSIONS[@]}"; do
        "$dir/bin/kubernetes-validate" --strict --kubernetes-version "$version" "$SMF_KUBERNETES_RENDERED" >"$out" 2>&1 || rc=1
        passed=$(grep -c ' passed for resource ' "$out" || true)
        skipped=$(grep -E "Couldn't find schema for kind [A-Za-z]+ with api version ($groups)/" "$out" | grep -c . || true)
        unknown=$(grep "Couldn't find schema" "$out" | grep -vcE "api version ($groups)/" || true)
        failed=$(grep -vE ' passed for resource |Couldn.t find schema' "$out" | grep -cE '^(ERROR|WARN|CRITICAL)|failed|error' || true)
        if ((unknown > 0 || failed > 0 || passed + skipped != objects)); then
            rc=1
            grep -vE ' passed for resource ' "$out" >&2 || true
            warn "kubernetes-validate $version: $passed passed, $skipped skipped (custom resources), $unknown without a schema, $failed failed, of $objects objects"
        fi
        counts+="${counts:+, }k8s $version: $passed/$objects valid"
    done
    counts+=", $skipped custom resources skipped"
    rm -f -- "$out"

    # checkov over the rendered objects (deploy.sh's pinned install).
    checkov_install || return 1
    checkov_out=$(mktemp "${TMPDIR:-/tmp}/smflow-kubernetes-checkov.XXXXXX")
    "$(_checkov_dir)/bin/checkov" --file "$SMF_KUBERNETES_RENDERED" --framework kubernetes --skip-download --quiet --compact \
        --output cli >"$checkov_out" 2>&1 || rc=1
    cat -- "$checkov_out" >&2
    local checkov_counts
    checkov_counts=$(awk '/^Passed checks:/ { gsub(",", ""); printf "checkov %s passed, %s failed, %s skipped", $3, $6, $9 }' "$checkov_out")
    rm -f -- "$checkov_out"
    [[ -n $checkov_counts ]] || { warn "checkov printed no results for $SMF_KUBERNETES_RENDERED"; rc=1; }
    KUBERNETES_COUNTS="kubectl $KUBERNETES_KUBECTL_VERSION, $objects objects; $counts; ${checkov_counts:-checkov: no result}"
    return "$rc"
}

# kubernetes_audit_run [SMFLOW]: the built smflow (default: the debug build's) audits the
# rendered overlay; any `fail` fails the step.
kubernetes_audit_run() {
    local smflow=${1:-} json rc=0
    [[ -n $smflow ]] || smflow="$(swift build --show-bin-path)/smflow"
    KUBERNETES_AUDIT_COUNTS=""
    [[ -s $SMF_KUBERNETES_RENDERED ]] || kubernetes_render || return 1
    json=$(mktemp "${TMPDIR:-/tmp}/smflow-kubernetes-audit.XXXXXX")
    "$smflow" audit --kubernetes "$SMF_KUBERNETES_RENDERED" --format json >"$json" || rc=$?
    KUBERNETES_AUDIT_COUNTS=$(python3 - "$json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
summary = report["summary"]
print(f'{summary["pass"]} pass, {summary["fail"]} fail, {summary["warn"]} warn')
for result in report["results"]:
    if result["status"] in ("fail", "warn"):
        for evidence in result["evidence"]:
            where = f'{evidence.get("file") or "-"}:{evidence.get("line") or "-"}'
            print(f'{result["status"]} {result["key"]} {where} {evidence["detail"]}', file=sys.stderr)
PY
    ) || rc=1
    rm -f -- "$json"
    return "$rc"
}
