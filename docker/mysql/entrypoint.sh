#!/bin/sh
# Starts MariaDB for one booking node.
#   - official mariadb image: hands over to its docker-entrypoint.sh (MARIADB_* variables);
#   - offline base (Debian's mariadb-server): initialises the data directory on first start and
#     gives root the password MARIADB_ROOT_PASSWORD (or none with
#     MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1), from any host: the server is only on the cluster network.
# `booking-mysql-entrypoint healthcheck` answers whether the server accepts TCP connections.
set -eu

if [ "${1:-}" = healthcheck ]; then
  exec mariadb-admin --protocol=tcp -h 127.0.0.1 -u healthcheck ping --connect-timeout=2 >/dev/null 2>&1
fi

if [ -x /usr/local/bin/docker-entrypoint.sh ]; then
  exec /usr/local/bin/docker-entrypoint.sh "$@"
fi

if [ "${1:-}" != mariadbd ] && [ "${1:-}" != mysqld ]; then
  exec "$@"
fi
shift

datadir=/var/lib/mysql
mkdir -p /run/mysqld "$datadir"
chown mysql:mysql /run/mysqld "$datadir"

password="${MARIADB_ROOT_PASSWORD:-}"
if [ -z "$password" ] && [ "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" != 1 ] && [ "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" != yes ]; then
  echo "booking-mysql: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)" >&2
  exit 1
fi
case "$password" in
  *"'"* | *"\\"*) echo "booking-mysql: MARIADB_ROOT_PASSWORD must not contain quotes or backslashes" >&2; exit 1 ;;
esac
# The booking node's own account (as the official image does it): all rights on its one database,
# none on the server, so a node that is broken into cannot reach another node's data or the users.
user="${MARIADB_USER:-}"
user_password="${MARIADB_PASSWORD:-}"
database="${MARIADB_DATABASE:-}"
if [ -n "$user" ]; then
  case "$user$user_password$database" in
    *"'"* | *"\\"* | *'`'*) echo "booking-mysql: MARIADB_USER, MARIADB_PASSWORD and MARIADB_DATABASE must not contain quotes or backslashes" >&2; exit 1 ;;
  esac
  if [ -z "$user_password" ] || [ -z "$database" ]; then
    echo "booking-mysql: MARIADB_USER needs MARIADB_PASSWORD and MARIADB_DATABASE" >&2
    exit 1
  fi
fi

if [ ! -d "$datadir/mysql" ]; then
  echo "booking-mysql: initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
fi

# Runs at every start (idempotent), before the server accepts connections.
init=/run/mysqld/booking-init.sql
cat >"$init" <<SQL
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$password';
ALTER USER 'root'@'%' IDENTIFIED BY '$password';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
if [ -n "$user" ]; then
  cat >>"$init" <<SQL
CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$user_password';
ALTER USER '$user'@'%' IDENTIFIED BY '$user_password';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'%';
SQL
fi
echo 'FLUSH PRIVILEGES;' >>"$init"
chown mysql:mysql "$init"
chmod 0600 "$init"
exec mariadbd --user=mysql --datadir="$datadir" --init-file="$init" "$@"
