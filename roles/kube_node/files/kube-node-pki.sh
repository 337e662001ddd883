#!/bin/sh
# Creates what is missing of a single-node cluster's PKI (kubeadm's layout) under $1 and prints
# one "created NAME" line per file it made; existing keys and certificates are kept.
#   kube-node-pki.sh DIR 'NAME|SUBJECT|SERVER-SANS|CA' ...
set -eu
PKI=$1
shift
umask 077
mkdir -p "$PKI"
for ca in ca front-proxy-ca; do
  [ -s "$PKI/$ca.crt" ] && continue
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=investment-$ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" 2>/dev/null
  echo "created $ca"
done
if [ ! -s "$PKI/sa.key" ]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  echo "created sa"
fi
for spec in "$@"; do
  name=${spec%%|*}; rest=${spec#*|}
  subject=${rest%%|*}; rest=${rest#*|}
  sans=${rest%%|*}; ca=${rest#*|}
  # A server certificate whose names changed (new address) is issued again.
  if [ -s "$PKI/$name.crt" ] && [ -s "$PKI/$name.sans" ] && [ "$(cat "$PKI/$name.sans")" = "$sans" ]; then
    continue
  fi
  [ -s "$PKI/$name.crt" ] && [ -z "$sans" ] && [ ! -e "$PKI/$name.sans" ] && continue
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  if [ -n "$sans" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$sans" >"$PKI/$name.ext"
    echo "$sans" >"$PKI/$name.sans"
  else
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$PKI/$name.ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
  echo "created $name"
done
chmod 600 "$PKI"/*.key
