#!/usr/bin/env bash
# The images the container tests use, built without any registry (`docker import` of a root
# filesystem). Idempotent: an image already present is kept.
#   local/busybox:1             busybox-static only: no glibc, no bash
#   local/ferry-flavor:a, :b    busybox plus /etc/flavor ("a" or "b"), for the digest-pinning test
#   local/samtools:1.16.1       Debian bookworm minbase + samtools, bcftools, tabix (~2 min)
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have() { docker image inspect "$1" > /dev/null 2>&1; }
install_pkg() {
  command -v "$1" > /dev/null && return
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq > /dev/null 2>&1 || true
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$2" > /dev/null
}

busybox_tree() { # DIR [FLAVOR]
  install_pkg busybox busybox-static
  local root=$1
  mkdir -p "$root/bin" "$root/etc" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s /bin
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  if [[ -n ${2:-} ]]; then echo "$2" > "$root/etc/flavor"; fi
}

import() { # DIR IMAGE PATH CMD
  tar -C "$1" --numeric-owner -c . |
    docker import -c "CMD [\"$4\"]" -c "ENV PATH=$3" - "$2" > /dev/null
  echo "built $2"
}

have local/busybox:1 || { busybox_tree "$work/bb"; import "$work/bb" local/busybox:1 /bin /bin/sh; }
for flavor in a b; do
  have "local/ferry-flavor:$flavor" || {
    busybox_tree "$work/flavor-$flavor" "$flavor"
    import "$work/flavor-$flavor" "local/ferry-flavor:$flavor" /bin /bin/sh
  }
done
if ! have local/samtools:1.16.1; then
  install_pkg debootstrap debootstrap
  # The Debian mirror apt already uses (no other network is reachable).
  mirror=$(grep -rhs '^URIs:' /etc/apt/sources.list.d/ | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [[ -n $mirror ]] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | head -1 || true)
  [[ -n $mirror ]] || { echo "no Debian mirror in the apt sources" >&2; exit 1; }
  root=$work/debian
  debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  cp /etc/resolv.conf "$root/etc/" 2> /dev/null || true
  chroot "$root" bash -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends samtools bcftools tabix > /dev/null &&
    apt-get clean && rm -rf /var/lib/apt/lists/*'
  rm -f "$root/etc/resolv.conf"
  import "$root" local/samtools:1.16.1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash
fi
# The cluster executors' container tests run busybox through podman, which cannot see Docker's
# images: the same image, loaded into podman's store.
if command -v podman > /dev/null && ! podman image exists local/busybox:1 2> /dev/null; then
  docker save local/busybox:1 | podman load > /dev/null
  echo "loaded local/busybox:1 into podman"
fi
