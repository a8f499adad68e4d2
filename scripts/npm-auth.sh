#!/usr/bin/env bash
# The release workflow's npm set-up before `npm publish --provenance`:
# npm 11 (>= 11.5.1 publishes by trusted publishing, exchanging the job's
# OIDC token, for each package that names the workflow as its trusted
# publisher), and NPM_TOKEN when the secret is set: npm cannot create a
# package by trusted publishing, so a name's first release needs a token.
set -euo pipefail
npm install --global --no-audit --no-fund npm@11.19.1
npm --version
if [ -n "${NPM_TOKEN:-}" ]; then
  registry="$(npm config get registry)"
  # Single quotes on purpose: npm reads ${NPM_TOKEN} from the environment
  # when it loads .npmrc, so the token is never written.
  # shellcheck disable=SC2016
  npm config set "${registry#https:}:_authToken" '${NPM_TOKEN}'
fi
