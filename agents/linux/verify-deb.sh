# shellcheck shell=bash
# The classic path on a .deb system (Debian, Ubuntu): the agent package's shape and its dpkg-sig
# signature (pkg-deb.sh installs it).

# A member of an ar archive (the .deb container) by name, without binutils.
ar_members() {
  local file=$1 size total off=8 name
  total=$(wc -c <"$file")
  [[ $(head -c 8 "$file") == '!<arch>' ]] || return 1
  while ((off + 60 <= total)); do
    name=$(ar_extract "$file" "$off" 16 | tr -d ' ')
    size=$(ar_extract "$file" $((off + 48)) 10 | tr -d ' ')
    [[ $size =~ ^[0-9]+$ ]] || return 1
    ((off + 60 + size <= total)) || return 1
    printf '%s %s %s\n' "${name%/}" "$((off + 60))" "$size"
    off=$((off + 60 + size + size % 2))
  done
  ((off == total))
}

ar_extract() {
  dd if="$1" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
}

# Refuse what is not a complete .deb, signed or not.
check_package_shape() {
  local file=$PACKAGE_FILE magic
  [[ -s $file ]] || fail "the downloaded agent package is empty; the manager may not have the package imported"
  magic=$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')
  [[ $magic == 213c6172 ]] || fail "the downloaded agent package is not a .deb (starts with 0x$magic); refusing to install it"
  ar_members "$file" >/dev/null || fail "the downloaded .deb is truncated or malformed; refusing to install it"
  dpkg-deb --fsys-tarfile "$file" >/dev/null 2>&1 || fail "the downloaded .deb does not unpack (truncated or corrupt); refusing to install it"
}

# dpkg-sig is not packaged in Debian 12: check its signature the way it does, with gpgv and
# coreutils. The _gpgbuilder member is a clearsigned list of every member's md5, sha1 and size.
verify_package_signature() {
  local file=$PACKAGE_FILE sig="$DSKIT_WORK_DIR/_gpgbuilder" keyring="$DSKIT_WORK_DIR/agent-signing-key.gpg"
  local name off size members listed=0 status fpr md5 sha1 lsize lname
  write_signing_key
  sed -e '/^-----/d' -e '/^[A-Za-z-]*: /d' -e '/^=/d' -e '/^$/d' "$DSKIT_WORK_DIR/agent-signing-key.asc" | base64 -d >"$keyring" 2>/dev/null ||
    fail "the rendered agent signing key is not a valid armored OpenPGP key"
  members=$(ar_members "$file") || fail "the downloaded .deb is malformed; refusing to install it"
  read -r name off size < <(grep '^_gpgbuilder ' <<<"$members") || true
  [[ ${name:-} == _gpgbuilder ]] || fail "the .deb carries no dpkg-sig signature (_gpgbuilder); refusing to install it"
  ar_extract "$file" "$off" "$size" >"$sig"
  status=$(gpgv --status-fd 1 --keyring "$keyring" "$sig" 2>/dev/null) ||
    fail "the .deb's dpkg-sig signature does not verify against the agent signing key; refusing to install it"
  fpr=$(sed -n 's/^\[GNUPG:\] VALIDSIG \([0-9A-F]*\) .*/\1/p' <<<"$status" | head -n 1)
  while read -r md5 sha1 lsize lname; do
    [[ -n ${lname:-} ]] || continue
    read -r name off size < <(grep "^$lname " <<<"$members") || fail "signed member $lname is missing from the .deb"
    [[ $size == "$lsize" ]] || fail "member $lname has $size bytes, the signature says $lsize; refusing to install it"
    [[ $(ar_extract "$file" "$off" "$size" | sha1sum | cut -d' ' -f1) == "$sha1" ]] || fail "member $lname does not match its signed sha1; refusing to install it"
    [[ $(ar_extract "$file" "$off" "$size" | md5sum | cut -d' ' -f1) == "$md5" ]] || fail "member $lname does not match its signed md5; refusing to install it"
    listed=$((listed + 1))
  done < <(sed -n '/^Files: *$/,/^-----BEGIN PGP SIGNATURE/p' "$sig" | grep -E '^[[:space:]]+[0-9a-f]{32} [0-9a-f]{40} [0-9]+ ')
  (($(grep -vc '^_gpg' <<<"$members") == listed)) || fail "the .deb has members its signature does not cover; refusing to install it"
  log "signature verified: dpkg-sig builder signature of agent.deb ($listed members, md5+sha1+size) checked with gpgv against key ${fpr:-?}"
}
