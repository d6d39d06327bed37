import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// In dev, Vite serves the app and forwards the cluster's endpoints to the local Nginx of
// `npx booking cluster start` (default port 8080), so the app talks to /rpc exactly as in production.
const backend = process.env.BOOKING_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      '/rpc': { target: backend, ws: true, changeOrigin: true },
      '/nodes': { target: backend, ws: true, changeOrigin: true },
    },
  },
  build: { target: 'es2022', sourcemap: false },
});
