#!/usr/bin/env bash
# Build the Debian package, target/debian/cgtui_VERSION-1_ARCH.deb, from Cargo.toml's
# [package.metadata.deb] (cargo-deb's format): the binary, the man pages and completions kept
# generated in packaging/generated/ (tests/install.rs checks they are what the binary writes;
# CGTUI_UPDATE_DOCS=1 cargo test --test install rewrites them), and the README with the
# manual's pages (docs/src). `cargo deb` alone builds the same package from a fresh clone.
#
#   packaging/deb.sh [--check]     build it (--check: and verify its file list with dpkg -c)
#
# With cargo-deb installed (`cargo install cargo-deb`), it builds the package (`cargo deb
# --no-build`). Without it, dpkg-deb builds the same package from the same metadata: cargo-deb
# is not in Debian and takes minutes to compile on a 2-CPU CI machine, while dpkg-deb is always
# there (docs/src/install.md). CGTUI_DEB_TOOL=dpkg-deb forces that path.
# The release binary is built if missing (CGTUI_DEB_BINARY points at another one).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

binary=${CGTUI_DEB_BINARY:-target/release/cgtui}
if [ ! -x "$binary" ]; then
    echo "deb: building the release binary" >&2
    cargo build --release --locked --quiet
fi
for tool in jq dpkg-deb fakeroot gzip; do
    command -v "$tool" >/dev/null || { echo "deb: $tool is missing (apt-get install jq dpkg fakeroot)" >&2; exit 1; }
done

meta=$(cargo metadata --format-version 1 --no-deps --locked | jq '.packages[] | select(.name == "cgtui")')
field() { jq -r "$1 // empty" <<<"$meta"; }
version=$(field .version)
revision=$(field .metadata.deb.revision)
revision=${revision:-1}
arch=$(dpkg --print-architecture)
out=target/debian
mkdir -p "$out"
deb="$out/cgtui_${version}-${revision}_${arch}.deb"
rm -f "$deb"

tool=${CGTUI_DEB_TOOL:-}
if [ -z "$tool" ]; then
    if cargo deb --version >/dev/null 2>&1; then tool=cargo-deb; else tool=dpkg-deb; fi
fi
echo "deb: packaging with $tool" >&2

if [ "$tool" = cargo-deb ]; then
    # Stripped, as the dpkg-deb path strips (the release profile keeps line tables for
    # backtraces, which cargo-deb would otherwise package).
    cargo deb --no-build --strip --output "$deb"
else
    stage=$(mktemp -d "${TMPDIR:-/tmp}/cgtui-deb.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    root="$stage/root"
    mkdir -p "$root/DEBIAN"
    # Each asset: [source (a glob), destination (a directory when it ends in /), mode].
    while IFS=$'\t' read -r source dest mode; do
        [ "$source" = target/release/cgtui ] && source=$binary
        matched=0
        for file in $source; do
            [ -f "$file" ] || continue
            matched=1
            if [[ $dest == */ ]]; then target="$root/$dest$(basename "$file")"; else target="$root/$dest"; fi
            install -D -m "$mode" "$file" "$target"
            # Man pages compressed, as cargo-deb does (Debian Policy 12.1).
            if [[ $target == */usr/share/man/* ]]; then gzip -9n "$target"; fi
        done
        [ $matched = 1 ] || { echo "deb: no file matches asset $source" >&2; exit 1; }
    done < <(jq -r '.metadata.deb.assets[] | @tsv' <<<"$meta")
    strip --strip-unneeded "$root/usr/bin/cgtui" 2>/dev/null || true
    # What cargo-deb writes too: the copyright file, from the license field.
    doc="$root/usr/share/doc/cgtui"
    mkdir -p "$doc"
    cat >"$doc/copyright" <<COPY
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cgtui

Files: *
Copyright: $(field .metadata.deb.copyright)
License: $(field .license)
COPY
    chmod 644 "$doc/copyright"
    # Depends: the packages that hold the libraries the binary links (dpkg-shlibdeps, as
    # cargo-deb's $auto does).
    depends=""
    if command -v dpkg-shlibdeps >/dev/null; then
        mkdir -p "$stage/src/debian"
        printf 'Source: cgtui\n\nPackage: cgtui\nArchitecture: any\n' >"$stage/src/debian/control"
        depends=$(cd "$stage/src" && dpkg-shlibdeps -O "$root/usr/bin/cgtui" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
    fi
    extended=$(field '.metadata.deb["extended-description"]' | fold -s -w 78 | sed 's/ *$//; s/^$/./; s/^/ /')
    cat >"$root/DEBIAN/control" <<CONTROL
Package: cgtui
Version: ${version}-${revision}
Architecture: ${arch}
Maintainer: $(field .metadata.deb.maintainer)
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: ${depends:-libc6}
Section: $(field .metadata.deb.section)
Priority: $(field .metadata.deb.priority)
Description: $(field .description)
${extended}
CONTROL
    fakeroot dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
fi
echo "$deb"

if [ "${1:-}" = --check ]; then
    listing=$(dpkg-deb -c "$deb")
    for file in ./usr/bin/cgtui ./usr/share/man/man1/cgtui.1.gz ./usr/share/man/man1/cgtui-snapshot.1.gz \
        ./usr/share/bash-completion/completions/cgtui ./usr/share/zsh/vendor-completions/_cgtui \
        ./usr/share/fish/vendor_completions.d/cgtui.fish ./usr/share/doc/cgtui/README.md \
        ./usr/share/doc/cgtui/docs/src/SUMMARY.md ./usr/share/doc/cgtui/docs/src/keys.md \
        ./usr/share/doc/cgtui/copyright; do
        grep -q " $file\$" <<<"$listing" || { echo "$listing" >&2; echo "deb: $file is not in $deb" >&2; exit 1; }
    done
    # Everything belongs to root; nothing outside /usr.
    # (dpkg-deb names root, cargo-deb's archive uid and gid 0.)
    if grep -v -E ' (root/root|0/0) ' <<<"$listing" | grep -q .; then echo "$listing" >&2; echo "deb: files not owned by root" >&2; exit 1; fi
    if awk '{print $6}' <<<"$listing" | grep -v '^\./$' | grep -v '^\./usr/' | grep -q .; then echo "deb: files outside /usr" >&2; exit 1; fi
    dpkg-deb -f "$deb" Package Version Depends >&2
    echo "deb: $deb holds every file ($(stat -c %s "$deb") bytes)" >&2
fi
