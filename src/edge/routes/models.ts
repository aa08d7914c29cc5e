import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import {
  type Model,
  type ModelInfo,
  type ModelListEntry,
  modelListSchema,
  modelSchema,
} from '../../shared/contract'
import type { EdgeContext } from '../context'
import type { Env } from '../env'
import { listModels, resolveModel } from '../models/modelCatalog'
import { problemResponses, validationHook } from '../problem/openapi'
import { publicUrl } from '../security/publicUrl'
import { modelFileUrl } from './modelFiles'

/** Anything but `true`/`false` is 400 `bad_options`, as every invalid option at the edge (`validationHook`). */
const listQuery = z.object({
  labels: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('true')
    .openapi({
      param: { name: 'labels', in: 'query' },
      description:
        'Whether each entry carries its `labels`: `true` (the default, as the API contract has it) or `false`, ' +
        'for clients (mobile apps) that only need ids, sizes and class counts: with 1000 ImageNet labels a model ' +
        'is 12,662 bytes of JSON (5,519 gzipped), 235 bytes without. Any other value is 400 `bad_options`.',
      example: 'false',
    }),
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Models that can explain',
  description:
    'Each model as `GET /v1/models/{id}` answers it, with its labels, plus `labelsUrl` linking there. ' +
    'The labels are omitted only when asked with `labels=false`.',
  security: [{ apiKey: [] }],
  request: { query: listQuery },
  responses: {
    200: {
      description: 'The models; `default: true` marks the one used without `model`.',
      content: { 'application/json': { schema: modelListSchema } },
    },
    ...problemResponses(400, 401, 429, 503),
  },
})

const modelRoute = createRoute({
  method: 'get',
  path: '/v1/models/{id}',
  summary: 'One model with all its labels',
  security: [{ apiKey: [] }],
  request: {
    params: z.object({
      id: z.string().openapi({
        param: { name: 'id', in: 'path' },
        description: '`id` or `id@version`, as the `model` option of an explain request.',
        example: 'cifar10-cnn@1.3.0',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The model; `labels[i]` is the label of class id `i`.',
      content: { 'application/json': { schema: modelSchema } },
    },
    ...problemResponses(401, 404, 429, 503),
  },
})

/** A model as the workers list it, with the public link to its ONNX graph. */
function publicModel(model: ModelInfo, env: Env): Model {
  return { ...model, onnx: { ...model.onnx, url: modelFileUrl(env, model.onnx.sha256) } }
}

/** A model as the list shows it: whole, or without its labels when asked `labels=false`; either way linked. */
function listEntry(model: Model, env: Env, withLabels: boolean): ModelListEntry {
  const { labels: _, ...slim } = model
  const labelsUrl = publicUrl(env, `/v1/models/${model.id}@${model.version}`)
  return withLabels ? { ...model, labelsUrl } : { ...slim, labelsUrl }
}

export const modelRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook })
  .openapi(listRoute, async (c) => {
    const withLabels = c.req.valid('query').labels === 'true'
    const models = await listModels(c.env, c.get('requestId'))
    return c.json(
      { models: models.map((model) => listEntry(publicModel(model, c.env), c.env, withLabels)) },
      200,
    )
  })
  .openapi(modelRoute, async (c) => {
    const model = resolveModel(await listModels(c.env, c.get('requestId')), c.req.valid('param').id, 404)
    return c.json(publicModel(model, c.env), 200)
  })
