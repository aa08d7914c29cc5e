import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

// Edge tests run inside workerd with the real KV, R2, Durable Object and Queue simulations of wrangler.toml;
// GPU workers are played by the stand-in server that globalSetup starts in Node, after it has built the
// [assets] folder (the demo page), without which workerd does not start.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: '../../wrangler.toml' },
      miniflare: {
        bindings: {
          WORKER_URLS: `${inject('standinUrl')}/w/main`,
          WORKER_TOKEN: inject('standinToken'),
          UPLOAD_SIGNING_SECRET: 'test-upload-signing-secret',
          WORKER_TIMEOUT_MS: '1000',
          // The origin the tests call: links in answers must come from here, never from a request's Host.
          PUBLIC_BASE_URL: 'https://edge.test',
          MAX_BODY_BYTES: String(64 * 1024),
          // Job tests: webhooks go to the loopback receiver; item and webhook retries come without long waits.
          ALLOW_LOOPBACK_HTTP: 'true',
          // Host names of imageUrls and webhooks resolve by the stand-in's table (test/standinWorker.ts).
          DNS_RESOLVER_URL: `${inject('standinUrl')}/dns-query`,
          JOB_ITEM_RETRY_BASE_SECONDS: '0',
          WEBHOOK_RETRY_SCHEDULE: '0.3,0.1,0.1,0.1,0.1,0.1,0.1',
          WEBHOOK_TIMEOUT_MS: '500',
        },
      },
    })),
  ],
  test: {
    name: 'edge',
    include: ['**/*.test.ts'],
    globalSetup: ['./test/webBuild.ts', './test/standinWorker.ts', './webhooks/test/webhookReceiver.ts'],
    // Files share the stand-in workers' scripted state (a test that downs "main" must not hit another file).
    fileParallelism: false,
  },
})
