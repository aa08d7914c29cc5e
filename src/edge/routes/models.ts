import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import {
  type Model,
  type ModelInfo,
  type ModelListEntry,
  modelListSchema,
  modelSchema,
} from '../../shared/contract'
import type { EdgeContext } from '../context'
import { resolveModel } from '../models/modelCatalog'
import { problemResponses, V1_PROBLEMS, validationHook } from '../problem/openapi'
import { modelFileUrl, publicUrl } from '../security/publicUrl'
import type { EdgeSettings } from '../settings'

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
    ...problemResponses(
      ...V1_PROBLEMS,
      'bad_options',
      'bad_worker_response',
      'no_worker_available',
      'worker_timeout',
    ),
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
        example: 'cifar10-cnn@1.7.0',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The model; `labels[i]` is the label of class id `i`.',
      content: { 'application/json': { schema: modelSchema } },
    },
    ...problemResponses(
      ...V1_PROBLEMS,
      ['unknown_model', 404],
      'bad_worker_response',
      'no_worker_available',
      'worker_timeout',
    ),
  },
})

type LinkSettings = Pick<EdgeSettings, 'PUBLIC_BASE_URL'>

/** A model as the workers list it, with the public link to its ONNX graph. */
function publicModel(model: ModelInfo, settings: LinkSettings): Model {
  return { ...model, onnx: { ...model.onnx, url: modelFileUrl(settings, model.onnx.sha256) } }
}

/** A model as the list shows it: whole, or without its labels when asked `labels=false`; either way linked. */
function listEntry(model: Model, settings: LinkSettings, withLabels: boolean): ModelListEntry {
  const { labels: _, ...slim } = model
  const labelsUrl = publicUrl(settings, `/v1/models/${model.id}@${model.version}`)
  return withLabels ? { ...model, labelsUrl } : { ...slim, labelsUrl }
}

export const modelRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook })
  .openapi(listRoute, async (c) => {
    const { settings, models: catalog } = c.var.services
    const withLabels = c.req.valid('query').labels === 'true'
    const models = await catalog.list(c.get('requestId'))
    const entries = models.map((model) => listEntry(publicModel(model, settings), settings, withLabels))
    return c.json({ models: entries }, 200)
  })
  .openapi(modelRoute, async (c) => {
    const { settings, models: catalog } = c.var.services
    const model = resolveModel(await catalog.list(c.get('requestId')), c.req.valid('param').id, 404)
    return c.json(publicModel(model, settings), 200)
  })
