#!/usr/bin/env bash
# Cuts a release: checks that main is clean and dist/ is what src/ builds to, tags
# vX.Y.Z, moves the major tag vX to the same commit, and pushes both.
# Usage: scripts/release.sh X.Y.Z [--dry-run] [--no-push]
# See CONTRIBUTING.md ("Releasing"). The build command can be replaced with
# RELEASE_BUILD_COMMAND (the tests of this script use it to avoid a full build).
set -euo pipefail

usage() { echo "usage: scripts/release.sh X.Y.Z [--dry-run] [--no-push]" >&2; exit 2; }
fail() { echo "release: $1" >&2; exit 1; }

version=''
dry_run=false
push=true
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --no-push) push=false ;;
    -h | --help) usage ;;
    -*) echo "release: unknown option $arg" >&2; usage ;;
    *) [ -z "$version" ] || usage; version=${arg#v} ;;
  esac
done
[ -n "$version" ] || usage
# Semantic versioning: MAJOR.MINOR.PATCH with an optional pre-release (1.2.0-rc.1).
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
  fail "\"$version\" is not a semantic version X.Y.Z (e.g. 1.2.0, or 1.3.0-rc.1 for a pre-release)."
major="v${BASH_REMATCH[1]}"
prerelease=${BASH_REMATCH[4]}
tag="v$version"

cd "$(git rev-parse --show-toplevel)"

branch=$(git symbolic-ref --quiet --short HEAD || echo '(detached HEAD)')
[ "$branch" = main ] || fail "releases are cut from main; HEAD is on $branch."
[ -z "$(git status --porcelain --untracked-files=all)" ] ||
  fail "the working tree is not clean: commit or stash first.$(printf '\n')$(git status --short)"
git rev-parse --quiet --verify "refs/tags/$tag" >/dev/null && fail "tag $tag already exists."

package_version=$(node -p "require('./package.json').version")
[ "$package_version" = "$version" ] ||
  fail "package.json says $package_version: run npm version --no-git-tag-version $version, commit, and run this again."
grep -q "^## \[$version\]" CHANGELOG.md ||
  fail "CHANGELOG.md has no \"## [$version]\" section: move the Unreleased notes under it, commit, and run this again."

echo "Rebuilding dist/ to check that it matches src/ ..."
build=${RELEASE_BUILD_COMMAND:-npm run build}
bash -c "$build" >/dev/null
if [ -n "$(git status --porcelain --untracked-files=all -- dist)" ]; then
  git status --short -- dist >&2
  fail "dist/ is stale: commit the rebuilt dist/ (npm run build) and run this again."
fi

commit=$(git rev-parse HEAD)
commands=(
  "git tag -a $tag -m 'airlift-sync $tag' $commit"
)
# A pre-release never moves the major tag: users of @$major get only finished releases.
[ -n "$prerelease" ] || commands+=("git tag -f $major $commit")
if $push; then
  commands+=("git push origin refs/tags/$tag")
  [ -n "$prerelease" ] || commands+=("git push --force origin refs/tags/$major")
fi

if $dry_run; then
  echo "Dry run: $tag at $commit passes the checks. Would run:"
  printf '  %s\n' "${commands[@]}"
  exit 0
fi
for command in "${commands[@]}"; do
  echo "+ $command"
  eval "$command"
done
echo "Released $tag at $commit${prerelease:+ (pre-release: $major not moved)}."
