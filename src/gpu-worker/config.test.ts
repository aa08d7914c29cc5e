import { describe, expect, it } from 'vitest'
import { loadConfig } from './config'

const token = 'a-secret-token-0123456789'

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({ WORKER_TOKEN: token })).toMatchObject({
      PORT: 8788,
      HOST: '127.0.0.1',
      MODELS_DIR: './models',
      DEFAULT_MODEL: 'cifar10-cnn',
      EXECUTION_PROVIDERS: ['cuda', 'cpu'],
      MAX_BODY_BYTES: 10 * 1024 * 1024,
      MAX_PIXELS: 40_000_000,
      LARGE_IMAGE_PIXELS: 16_000_000,
      LARGE_IMAGE_DECODES: 2,
      OVERLAY_MAX_SIDE: 1024,
      OVERLAY_PIXEL_BUDGET: 12_000_000,
    })
  })

  it('parses numbers and the provider list from strings', () => {
    const config = loadConfig({
      WORKER_TOKEN: token,
      MAX_BATCH: '8',
      MAX_BATCH_DELAY_MS: '2.5',
      EXECUTION_PROVIDERS: ' CPU ',
    })
    expect(config).toMatchObject({ MAX_BATCH: 8, MAX_BATCH_DELAY_MS: 2.5, EXECUTION_PROVIDERS: ['cpu'] })
  })

  it('refuses a missing token and an unknown provider, naming the setting but not echoing values', () => {
    expect(() => loadConfig({})).toThrow(/WORKER_TOKEN/)
    expect(() => loadConfig({ WORKER_TOKEN: 'short-secret' })).toThrow(/WORKER_TOKEN/)
    expect(() => loadConfig({ WORKER_TOKEN: 'short-secret' })).not.toThrow(/short-secret/)
    expect(() => loadConfig({ WORKER_TOKEN: token, EXECUTION_PROVIDERS: 'cuda,rocm' })).toThrow(
      /EXECUTION_PROVIDERS/,
    )
    expect(() => loadConfig({ WORKER_TOKEN: token, OVERLAY_MAX_SIDE: '0' })).toThrow(/OVERLAY_MAX_SIDE/)
    expect(() => loadConfig({ WORKER_TOKEN: token, OVERLAY_MAX_SIDE: '9000' })).toThrow(/OVERLAY_MAX_SIDE/)
    expect(() => loadConfig({ WORKER_TOKEN: token, OVERLAY_PIXEL_BUDGET: '1e3x' })).toThrow(
      /OVERLAY_PIXEL_BUDGET/,
    )
  })
})
