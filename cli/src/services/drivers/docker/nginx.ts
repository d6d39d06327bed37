/**
 * The Nginx config of a docker cluster, from the generator both drivers share
 * (services/nginx/config.ts). Inside the image the web app is always at SPA_ROOT: the image
 * holds spa/dist when it was built, a placeholder index.html otherwise.
 */
import { type NginxUpstream, renderNginxConfig } from '../../nginx/config.js';

export const SPA_ROOT = '/usr/share/booking/spa';
export const NODE_PORT = 7101;

export function dockerNginxConfig(clusterName: string, nodes: readonly NginxUpstream[]): string {
  return renderNginxConfig({ listen: '80', nodes, spaRoot: SPA_ROOT, clusterName });
}

/** docker-compose.yml's config: three nodes reached by their service names. */
export function composeNginxConfig(): string {
  const nodes = [1, 2, 3].map((id) => ({ id, address: `node${id}:${NODE_PORT}` }));
  return dockerNginxConfig('compose', nodes);
}
