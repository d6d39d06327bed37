/**
 * Writes docker/nginx/compose.conf, the Nginx config of docker-compose.yml, with the generator the
 * CLI drivers use: three nodes reached by their compose service names, the web app (or the
 * placeholder page) from the image. Run: npx tsx docker/nginx/render-compose-conf.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeNginxConfig } from '../../cli/src/services/drivers/docker/nginx.ts';

const target = fileURLToPath(new URL('./compose.conf', import.meta.url));
writeFileSync(target, composeNginxConfig());
console.log(`wrote ${target}`);
