import { z } from 'zod'
import { formatIssues } from '../shared/issues'

const positiveInt = z.coerce.number().int().positive()

/** Every setting of the worker, from the environment; one schema validates, defaults and types them. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_TOKEN: z.string().min(16, 'WORKER_TOKEN must be at least 16 characters'),
  MODELS_DIR: z.string().min(1).default('./models'),
  DEFAULT_MODEL: z.string().min(1).default('cifar10-cnn'),
  /** Tried in order per session; the first that initialises wins (`cuda` then `cpu` on a GPU host). */
  EXECUTION_PROVIDERS: z
    .string()
    .default('cuda,cpu')
    .transform((s) => s.split(',').map((p) => p.trim().toLowerCase()))
    .pipe(z.array(z.enum(['cuda', 'tensorrt', 'cpu'])).min(1)),
  MAX_BATCH: positiveInt.default(32),
  MAX_BATCH_DELAY_MS: z.coerce.number().min(0).default(4),
  /** Requests waiting for a batch, per model; beyond it the worker answers 503. */
  MAX_QUEUE: positiveInt.default(256),
  MAX_BODY_BYTES: positiveInt.default(10 * 1024 * 1024),
  MAX_PIXELS: positiveInt.default(40_000_000),
  /** Photos above this many pixels are decoded at most LARGE_IMAGE_DECODES at a time (others wait, then 503). */
  LARGE_IMAGE_PIXELS: positiveInt.default(16_000_000),
  LARGE_IMAGE_DECODES: positiveInt.default(2),
  /** Overlays are drawn on the photo scaled down to fit this square (pixels per side). */
  OVERLAY_MAX_SIDE: positiveInt.max(8192).default(1024),
  /**
   * Overlay pixels (display copy + one overlay per map) in flight across requests; one request of ten maps at
   * 1024x1024 fits. Beyond it an overlay request is refused with 503 at once (about 17 bytes of RSS per pixel).
   */
  OVERLAY_PIXEL_BUDGET: positiveInt.default(12_000_000),
})

export type Config = z.infer<typeof configSchema>

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    // Names the setting, never echoes its value: WORKER_TOKEN is a secret.
    throw new Error(`invalid worker configuration: ${formatIssues(parsed.error)}`)
  }
  return parsed.data
}
