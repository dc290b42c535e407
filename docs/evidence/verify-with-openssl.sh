#!/bin/sh
# Checks a signed erasure certificate or checkpoint (compact JWS, RFC 7515 §7.1, Ed25519 per
# RFC 8037) with openssl 3 and coreutils alone: no acsctl, no database, no server.
# Usage: verify-with-openssl.sh erasure-certificate-<id>.jws acs-signing.pem
set -eu
jws=$1
pub=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# base64url (RFC 4648 §5) without padding -> bytes
b64url_decode() {
  s=$(tr -- '-_' '+/' | tr -d '\n')
  while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done
  printf '%s' "$s" | openssl base64 -d -A
}
# The signature covers "<header>.<payload>" exactly as they appear in the file.
cut -d. -f1,2 "$jws" | tr -d '\n' > "$tmp/signed"
cut -d. -f3 "$jws" | b64url_decode > "$tmp/sig"
cut -d. -f1 "$jws" | b64url_decode; echo
openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$tmp/signed" -sigfile "$tmp/sig"
# The certificate (or checkpoint) the signature covers:
cut -d. -f2 "$jws" | b64url_decode; echo
