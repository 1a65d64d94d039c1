#!/usr/bin/env bash
# Installs (idempotently) every server the test suites start. Owned by the storage layer work.
#
# Everything is cached under $LOGFERRY_SERVERS_DIR (default ~/.cache/logferry-servers), outside
# the work tree, so a fresh clone on the same machine reuses it. Each step leaves a stamp file
# holding the inputs it was built from; a step whose stamp matches is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR="${LOGFERRY_SERVERS_DIR:-$HOME/.cache/logferry-servers}"
mkdir -p "$DIR/bin"

MOTO_VERSION="5.2.5"
FAKE_GCS_VERSION="v1.56.1"

log() { printf '[servers] %s\n' "$*" >&2; }
stamp_ok() { [ -f "$DIR/$1.stamp" ] && [ "$(cat "$DIR/$1.stamp")" = "$2" ]; }
stamp_set() { printf '%s' "$2" > "$DIR/$1.stamp"; }
# Debian packages, as root or through sudo.
apt_install() {
  log "installing $* (apt)"
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- SFTP: OpenSSH server from Debian -------------------------------------------------------
install_sshd() {
  if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; then return; fi
  apt_install openssh-server openssh-client
}

# --- zstd CLI: the transfer tests decompress zstd output with an independent decoder ------------
install_zstd_cli() {
  if command -v zstd >/dev/null; then return; fi
  apt_install zstd
}

# --- gzip/bzip2/xz/pigz CLIs: logferry collect's fixtures are made (and its extraction compared)
# with the real tools; pigz is a benchmark peer
install_compressors() {
  if command -v bzip2 >/dev/null && command -v xz >/dev/null && command -v pigz >/dev/null && command -v gzip >/dev/null; then return; fi
  apt_install gzip bzip2 xz-utils pigz
}

# --- rsync + sshpass: the logs service syncs with the real rsync over ssh (both sides: the test
# sshd's user runs the same /usr/bin/rsync); sshpass hands SSH_PASSWORD to ssh through the env
install_rsync() {
  if command -v rsync >/dev/null && command -v sshpass >/dev/null; then return; fi
  apt_install rsync sshpass
}

# --- chromium: the web UI's browser test (test/service/ui.test.ts) drives Debian's chromium
# headless through puppeteer-core (its own browser download cannot be fetched)
install_chromium() {
  if command -v chromium >/dev/null; then return; fi
  apt_install chromium fonts-dejavu-core
}

# --- ripgrep: logferry search's tests compare its matches with rg's, and its benchmark's peer
install_ripgrep() {
  if command -v rg >/dev/null; then return; fi
  apt_install ripgrep
}

# --- S3: moto server from PyPI, in its own virtualenv ----------------------------------------
install_moto() {
  local key="moto[server]==$MOTO_VERSION"
  if stamp_ok moto "$key" && [ -x "$DIR/moto/bin/moto_server" ]; then return; fi
  log "installing $key"
  rm -rf "$DIR/moto"
  python3 -m venv "$DIR/moto"
  "$DIR/moto/bin/pip" install -q --disable-pip-version-check "$key"
  stamp_set moto "$key"
}

# --- GCS: fake-gcs-server from the Go module proxy --------------------------------------------
install_fake_gcs() {
  local key="github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  if stamp_ok fake-gcs "$key" && [ -x "$DIR/bin/fake-gcs-server" ]; then return; fi
  log "building $key"
  GOBIN="$DIR/bin" GOFLAGS=-mod=mod go install "$key"
  stamp_set fake-gcs "$key"
}

# True when every jar of the resolved classpath is still in the Maven cache.
jars_present() {
  local jar
  while IFS= read -r jar; do [ -f "$jar" ] || return 1; done < <(tr ':' '\n' < "$DIR/hdfs/classpath.txt")
}

# --- HDFS: MiniDFSCluster (hadoop-minicluster from Maven Central) + a tiny Java main ---------
install_hdfs() {
  local src=test/servers/hdfs
  local key
  key="$(cat "$src/pom.xml" "$src/src/MiniHdfs.java" | sha256sum | cut -c1-16)"
  if stamp_ok hdfs "$key" && [ -f "$DIR/hdfs/classes/MiniHdfs.class" ] && jars_present; then return; fi
  log "resolving hadoop-minicluster with maven (first run downloads to ~/.m2)"
  rm -rf "$DIR/hdfs"; mkdir -p "$DIR/hdfs/classes"
  mvn -q -B -f "$src/pom.xml" dependency:build-classpath -Dmdep.outputFile="$DIR/hdfs/classpath.txt"
  javac -nowarn -cp "$(cat "$DIR/hdfs/classpath.txt")" -d "$DIR/hdfs/classes" "$src/src/MiniHdfs.java"
  stamp_set hdfs "$key"
}

# --- hadoop CLI: a launcher running the real Hadoop classes (FsShell, DistCp) from the HDFS classpath
# (hadoop-distcp is in test/servers/hdfs/pom.xml); there is no Hadoop binary tarball to download.
install_hadoop_cli() {
  local src=test/servers/hadoop-cli/hadoop
  local key
  key="$({ cat "$src" "$DIR/hdfs/classpath.txt"; declare -f install_hadoop_cli; } | sha256sum | cut -c1-16)"
  if stamp_ok hadoop-cli "$key" && [ -x "$DIR/hadoop/bin/hadoop" ]; then return; fi
  log "writing the hadoop CLI launcher"
  rm -rf "$DIR/hadoop"; mkdir -p "$DIR/hadoop/bin" "$DIR/hadoop/etc/hadoop"
  cp test/servers/hdfs/log4j.properties "$DIR/hadoop/etc/hadoop/log4j.properties"
  # Like a Hadoop distribution's etc/hadoop: site files (empty: defaults, local MapReduce).
  local f
  for f in core-site.xml hdfs-site.xml mapred-site.xml; do
    printf '<?xml version="1.0"?>\n<configuration>\n</configuration>\n' > "$DIR/hadoop/etc/hadoop/$f"
  done
  cp "$src" "$DIR/hadoop/bin/hadoop"
  chmod 755 "$DIR/hadoop/bin/hadoop"
  stamp_set hadoop-cli "$key"
}

# --- Azure: Azurite is an npm devDependency (installed by npm ci) ----------------------------
check_azurite() {
  if [ ! -f node_modules/azurite/package.json ]; then
    log "azurite missing from node_modules: run npm ci first"; return 1
  fi
}

# Independent steps run in parallel; any failure fails the script.
pids=()
# apt steps run one after the other (apt holds a lock).
{ install_sshd && install_zstd_cli && install_rsync && install_compressors && install_chromium && install_ripgrep; } & pids+=($!)
install_moto & pids+=($!)
install_fake_gcs & pids+=($!)
{ install_hdfs && install_hadoop_cli; } & pids+=($!)
check_azurite & pids+=($!)
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
if [ "$rc" != 0 ]; then log "server installation FAILED"; exit 1; fi
log "servers ready in $DIR"
