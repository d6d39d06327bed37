/**
 * The Nginx in front of the nodes, as one generated config. Both drivers use it: the local driver
 * with loopback upstreams and every path inside `.booking/<name>/nginx/`, the docker driver with
 * container names and the image's default paths.
 *
 *  - `/rpc`: WebSocket upgrade to any node. Passive failure handling: a node that refuses or
 *    times out is marked failed for `failTimeout` and the handshake retried on the next one, so
 *    clients land on live nodes. Read/send timeouts of three node pings: idle sockets live on
 *    (the node pings every 5 s), sockets to a frozen node end within seconds.
 *  - `/nodes/<id>/rpc`, `/nodes/<id>/healthz|livez|readyz`: one node directly (the CLI and the web app's
 *    dashboard use these to ask every node for its view; `kill` and `status` need each one).
 *  - `/nodes/<id>/metrics`: one node's Prometheus metrics, from loopback only (on the Nginx host;
 *    in a container that is nobody outside it): they tell an attacker too much about load.
 *  - `/healthz`: any live node's /healthz.
 *  - The WebSocket paths have `limit_conn` (sockets per client address) and `limit_req`
 *    (handshakes per second per address, with a burst for reconnect storms), figures from the
 *    node's limits.ts; refusals are 429. Nginx passes the client's address as X-Real-IP, and the
 *    Host header with its port, which the node checks a browser's Origin against.
 *  - everything else: the web app from `spaRoot` with history-mode fallback to index.html, or a
 *    placeholder page when there is no build yet.
 */
import { type Limits, processLimits } from '@booking/node/limits';

export interface NginxUpstream {
  id: number;
  /** `host:port` as Nginx should reach it. */
  address: string;
}

/** Answered by Nginx itself with `{"cluster": name}` (when the config has a cluster name). */
export const CLUSTER_IDENTITY_PATH = '/.well-known/booking-cluster';

export interface NginxConfigOptions {
  /** `127.0.0.1:8080`, or just `80` inside a container. */
  listen: string;
  nodes: readonly NginxUpstream[];
  /** Built web app (index.html and assets) or null for the placeholder page. */
  spaRoot: string | null;
  /** Where pid, logs and temp files go; omit to keep the binary's defaults (containers). */
  runtimeDir?: string;
  /** Run in the foreground (the local driver supervises the process itself). */
  foreground?: boolean;
  /** `user` directive; only meaningful when the master runs as root. */
  user?: string;
  /** Seconds a failed node is skipped for /rpc. Default 2. */
  failTimeoutSeconds?: number;
  /** Idle seconds before Nginx closes a proxied WebSocket. Default 3600. */
  socketTimeoutSeconds?: number;
  /** Cluster name, shown on the placeholder page and answered at CLUSTER_IDENTITY_PATH. */
  clusterName?: string;
  /** Per client address: open WebSockets, and handshakes per second with their burst. */
  limits?: { connectionsPerAddress: number; requestsPerSecond: number; requestBurst: number };
}

/** The Nginx figures of limits.ts (BOOKING_LIMIT_NGINX_* in the CLI's environment override them). */
export function nginxLimits(limits: Limits = processLimits()): Required<NginxConfigOptions>['limits'] {
  return {
    connectionsPerAddress: limits.NGINX_CONNECTIONS_PER_ADDRESS,
    requestsPerSecond: limits.NGINX_RPC_REQUESTS_PER_SECOND,
    requestBurst: limits.NGINX_RPC_REQUEST_BURST,
  };
}

const MIME_TYPES = `
    types {
      text/html html htm;
      text/css css;
      application/javascript js mjs;
      application/json json map webmanifest;
      image/svg+xml svg;
      image/png png;
      image/jpeg jpg jpeg;
      image/webp webp;
      image/x-icon ico;
      font/woff2 woff2;
      font/woff woff;
      text/plain txt;
    }
    default_type application/octet-stream;`;

function placeholderHtml(name: string | undefined): string {
  const title = name ? `Booking cluster "${name}"` : 'Booking cluster';
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body style="font-family:sans-serif;max-width:40em;margin:3em auto">` +
    `<h1>${title} is running</h1>` +
    `<p>The web app has not been built yet: run <code>npm run build -w spa</code> and reload.</p>` +
    `<p>Clients can already book over JSON-RPC: <code>ws://HOST/rpc</code>. Health: <a href="/healthz">/healthz</a>.</p>` +
    `</body></html>`;
  return singleQuoted(html);
}

/** Text for inside an nginx single-quoted string: backslashes and single quotes escaped. */
function singleQuoted(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function proxyWebSocket(indent: string, limits: Required<NginxConfigOptions>['limits']): string {
  return [
    `limit_conn booking_conn ${limits.connectionsPerAddress};`,
    `limit_req zone=booking_rpc burst=${limits.requestBurst} nodelay;`,
    'proxy_http_version 1.1;',
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $connection_upgrade;',
    'proxy_set_header Host $http_host;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_buffering off;',
    'proxy_request_buffering off;',
  ]
    .map((line) => indent + line)
    .join('\n');
}

export function renderNginxConfig(opts: NginxConfigOptions): string {
  if (opts.nodes.length === 0) throw new Error('nginx config needs at least one node');
  const failTimeout = opts.failTimeoutSeconds ?? 2;
  // Three missed node pings (node/src/rpc/client-endpoint.ts, every 5 s): long enough for an
  // idle socket, short enough that a frozen node's clients move on within seconds, not an hour.
  const socketTimeout = opts.socketTimeoutSeconds ?? 15;
  const limits = opts.limits ?? nginxLimits();
  const dir = opts.runtimeDir?.replace(/\/+$/, '');
  const lines: string[] = [];
  lines.push('# Generated by the booking CLI. Do not edit: `booking cluster start` rewrites it.');
  if (opts.foreground) lines.push('daemon off;');
  if (opts.user) lines.push(`user ${opts.user};`);
  lines.push('worker_processes 1;');
  if (dir) {
    lines.push(`pid ${dir}/nginx.pid;`);
    lines.push(`error_log ${dir}/error.log warn;`);
  }
  lines.push('events {', '  worker_connections 4096;', '}', 'http {');
  lines.push(MIME_TYPES);
  if (dir) {
    lines.push(`    access_log ${dir}/access.log;`);
    for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      lines.push(`    ${temp}_temp_path ${dir}/tmp/${temp};`);
    }
  }
  lines.push(
    '    server_tokens off;',
    '    sendfile on;',
    '    map $http_upgrade $connection_upgrade {',
    '      default upgrade;',
    "      '' close;",
    '    }',
    '    # Per client address; node/src/limits.ts has the figures and docs/security.md explains them.',
    '    limit_conn_zone $binary_remote_addr zone=booking_conn:10m;',
    `    limit_req_zone $binary_remote_addr zone=booking_rpc:10m rate=${limits.requestsPerSecond}r/s;`,
    '    limit_conn_status 429;',
    '    limit_req_status 429;',
    '',
    '    # Any node: slaves forward writes to the master, so clients need not find it.',
    '    upstream booking_nodes {',
    '      least_conn;',
  );
  for (const node of opts.nodes) {
    lines.push(`      server ${node.address} max_fails=1 fail_timeout=${failTimeout}s;`);
  }
  lines.push('    }');
  for (const node of opts.nodes) {
    lines.push(`    upstream booking_node_${node.id} {`, `      server ${node.address};`, '    }');
  }
  lines.push(
    '',
    '    server {',
    `      listen ${opts.listen};`,
    '      server_name _;',
    '',
    '      location = /rpc {',
    '        proxy_pass http://booking_nodes;',
    proxyWebSocket('        ', limits),
    '        proxy_connect_timeout 2s;',
    `        proxy_read_timeout ${socketTimeout}s;`,
    `        proxy_send_timeout ${socketTimeout}s;`,
    '        # A refused, reset or timed-out handshake moves on to the next node.',
    '        proxy_next_upstream error timeout http_502 http_503 http_504;',
    '        proxy_next_upstream_tries 0;',
    '        proxy_next_upstream_timeout 10s;',
    '      }',
    '',
    '      location = /healthz {',
    '        proxy_pass http://booking_nodes/healthz;',
    '        proxy_connect_timeout 2s;',
    '        proxy_read_timeout 5s;',
    '        proxy_next_upstream error timeout http_502 http_503 http_504;',
    '      }',
  );
  for (const node of opts.nodes) {
    lines.push(
      '',
      `      location = /nodes/${node.id}/rpc {`,
      `        proxy_pass http://booking_node_${node.id}/rpc;`,
      proxyWebSocket('        ', limits),
      '        proxy_connect_timeout 2s;',
      `        proxy_read_timeout ${socketTimeout}s;`,
      `        proxy_send_timeout ${socketTimeout}s;`,
      '        proxy_next_upstream off;',
      '      }',
      ...['healthz', 'livez', 'readyz'].flatMap((path) => [
        `      location = /nodes/${node.id}/${path} {`,
        `        proxy_pass http://booking_node_${node.id}/${path};`,
        '        proxy_connect_timeout 2s;',
        '        proxy_read_timeout 5s;',
        '        proxy_next_upstream off;',
        '      }',
      ]),
      `      location = /nodes/${node.id}/metrics {`,
      '        allow 127.0.0.1;',
      '        allow ::1;',
      '        deny all;',
      `        proxy_pass http://booking_node_${node.id}/metrics;`,
      '        proxy_connect_timeout 2s;',
      '        proxy_read_timeout 5s;',
      '        proxy_next_upstream off;',
      '      }',
    );
  }
  lines.push('', '      location /nodes/ {', '        return 404;', '      }', '');
  if (opts.clusterName) {
    lines.push(
      '      # Which cluster this Nginx fronts: `cluster start` checks that the port answers as its own.',
      `      location = ${CLUSTER_IDENTITY_PATH} {`,
      '        default_type application/json;',
      `        return 200 '${singleQuoted(JSON.stringify({ cluster: opts.clusterName }))}';`,
      '      }',
      '',
    );
  }
  if (opts.spaRoot) {
    lines.push(
      `      root ${opts.spaRoot};`,
      '      # Hashed build assets never change under the same name.',
      '      location /assets/ {',
      '        try_files $uri =404;',
      '        add_header Cache-Control "public, max-age=31536000, immutable";',
      '      }',
      '      # History-mode routes (/movies/42) are the app too.',
      '      location / {',
      '        try_files $uri $uri/ /index.html;',
      '        add_header Cache-Control "no-cache";',
      '      }',
    );
  } else {
    lines.push(
      '      location / {',
      '        default_type text/html;',
      `        return 200 '${placeholderHtml(opts.clusterName)}';`,
      '      }',
    );
  }
  lines.push('    }', '}', '');
  return lines.join('\n');
}
