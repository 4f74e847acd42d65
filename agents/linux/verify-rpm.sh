# shellcheck shell=bash
# The classic path on an .rpm system (Amazon Linux, RHEL): the agent package's shape and its
# signature (pkg-rpm.sh installs it).

# Refuse what is not a complete .rpm, signed or not.
check_package_shape() {
  local file=$PACKAGE_FILE magic
  [[ -s $file ]] || fail "the downloaded agent package is empty; the manager may not have the package imported"
  magic=$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')
  [[ $magic == edabeedb ]] || fail "the downloaded agent package is not an .rpm (starts with 0x$magic); refusing to install it"
  rpmkeys --checksig --nosignature "$file" >/dev/null 2>&1 || fail "the downloaded .rpm fails its digest check (truncated or corrupt); refusing to install it"
}

# Checked in a keyring of its own holding only the rendered key: the system rpmdb also trusts the
# distribution's keys. rpm prints "digests signatures OK" for a good signature, "digests OK" (exit 0!)
# for an unsigned package and "SIGNATURES NOT OK" for an unknown key; -v names the key id.
verify_package_signature() {
  local db="$DSKIT_WORK_DIR/rpmdb" key="$DSKIT_WORK_DIR/agent-signing-key.asc" out detail
  write_signing_key
  rm -rf "$db" && mkdir -p "$db"
  rpmkeys --dbpath "$db" --import "$key" >/dev/null 2>&1 || fail "the rendered agent signing key is not a valid armored OpenPGP key (rpmkeys --import refused it)"
  out=$(rpmkeys --dbpath "$db" --checksig "$PACKAGE_FILE" 2>&1) || true
  [[ $out == *": digests OK" ]] && fail "the .rpm is not signed (rpmkeys: digests OK, no signature); refusing to install it"
  if [[ $out != *" signatures OK"* ]]; then
    fail "the .rpm's signature does not verify against the agent signing key (rpmkeys: ${out##*: }); refusing to install it"
  fi
  detail=$(rpmkeys --dbpath "$db" --checksig -v "$PACKAGE_FILE" 2>&1 | grep -m1 'Signature, key ID' | tr -s ' ' | sed 's/^ //')
  log "signature verified: rpmkeys --checksig of agent.rpm against the rendered agent signing key only: ${detail:-signatures OK}"
  # The system rpmdb gets the key too, so rpm -i below does not warn about an unknown key.
  rpmkeys --import "$key" >/dev/null 2>&1 || warn "could not import the agent signing key into the system rpmdb"
}
