import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../shared/contract'
import { ProblemError } from '../../shared/problem'
import { servicesOf } from '../services'
import { resolveClasses, resolveModel } from './modelCatalog'

const model = (id: string, version: string, isDefault: boolean): ModelInfo => ({
  id,
  version,
  family: 'cnn',
  numClasses: 3,
  labels: ['cat', 'dog', 'ship'],
  input: { width: 32, height: 32 },
  mapSize: { width: 8, height: 8 },
  default: isDefault,
  preprocessing: { resizeShorter: 32, crop: 32 },
  onnx: { sha256: '0'.repeat(64), bytes: 1024 },
})
const models = [model('small', '1.0.0', false), model('small', '2.0.0', true), model('big', '1.2.3', false)]

describe('ModelCatalog', () => {
  it('falls back to the last list stored in KV when no worker answers', async () => {
    await env.EXPLANATION_CACHE.put('models', JSON.stringify(models))
    const down = { ...env, WORKER_URLS: 'http://127.0.0.1:9' }
    expect(await servicesOf(down).models.list('catalog-test')).toEqual(models)
  })
})

describe('resolveModel', () => {
  it('takes the default model, an id, or an exact id@version', () => {
    expect(resolveModel(models, undefined)).toMatchObject({ id: 'small', version: '2.0.0' })
    expect(resolveModel(models, 'big')).toMatchObject({ id: 'big', version: '1.2.3' })
    expect(resolveModel(models, 'small@1.0.0')).toMatchObject({ id: 'small', version: '1.0.0' })
  })

  it('rejects unknown ids and versions with unknown_model, 400 unless asked for 404', () => {
    for (const ref of ['tiny', 'big@9.9.9']) {
      expect(() => resolveModel(models, ref)).toThrowError(ProblemError)
      expect(() => resolveModel(models, ref)).toThrow(/available: small@1.0.0, small@2.0.0, big@1.2.3/)
      expect(() => resolveModel(models, ref)).toThrow(
        expect.objectContaining({ status: 400, code: 'unknown_model' }),
      )
      expect(() => resolveModel(models, ref, 404)).toThrow(
        expect.objectContaining({ status: 404, code: 'unknown_model' }),
      )
    }
  })
})

describe('resolveClasses', () => {
  it('maps labels and ids to ids in the order asked', () => {
    expect(resolveClasses(model('m', '1.0.0', true), ['ship', 0, 'dog'])).toEqual([2, 0, 1])
  })

  it('rejects labels the model does not have and ids beyond it', () => {
    expect(() => resolveClasses(model('m', '1.0.0', true), ['horse'])).toThrow(/no class "horse"/)
    expect(() => resolveClasses(model('m', '1.0.0', true), [3])).toThrow(/no class 3/)
  })

  it('refuses a label that names more than one class with bad_options', () => {
    const twoCranes = { ...model('m', '1.0.0', true), labels: ['crane', 'tiger cat', 'crane'] }
    expect(resolveClasses(twoCranes, ['tiger cat', 2])).toEqual([1, 2])
    expect(() => resolveClasses(twoCranes, ['crane'])).toThrow(
      expect.objectContaining({
        status: 400,
        code: 'bad_options',
        detail: expect.stringMatching(/classes 0 and 2 of m/),
      }),
    )
  })
})
