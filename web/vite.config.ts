/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the client on :5173 and sends /api (and its WebSocket) to a platform on :8000
// (`make run`); the built client is served by the platform itself, same origin.
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    // ws: the live connection (/api/ws) goes through the same proxy.
    // /media: uploaded images, served by the platform's local store.
    proxy: { "/api": { target: "http://127.0.0.1:8000", ws: true }, "/media": { target: "http://127.0.0.1:8000" } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  test: {
    include: ["tests/unit/**/*.test.{ts,tsx}"],
    environment: "node",
  },
});
