import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Built to static files (dist/) that `konduktor up` serves next to the API, and Azure Static Web Apps later.
// `npm run dev` proxies the API to a running `konduktor up` (KONDUKTOR_URL).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { "/api": process.env.KONDUKTOR_URL ?? "http://127.0.0.1:7070", "/auth": process.env.KONDUKTOR_URL ?? "http://127.0.0.1:7070" } },
  test: { environment: "jsdom" },
});
