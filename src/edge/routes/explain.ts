import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { explainJsonRequestSchema, explainOptionsSchema, explainResponseSchema } from '../../shared/contract'
import { SUPPORTED_IMAGE_TYPES } from '../../shared/imageType'
import { quoted } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'
import type { EdgeContext } from '../context'
import type { ExplainOutcome } from '../explain/explainer'
import {
  badOptions,
  type ExplainRequest,
  missingImage,
  optionsFromFields,
  readMultipart,
} from '../explain/explainRequest'
import { checkDeclaredImageType, requestMediaType } from '../explain/imageType'
import { problemResponses, V1_PROBLEMS, validationHook } from '../problem/openapi'
import { referencedImage } from '../uploads/referencedImage'

const binary = { schema: { type: 'string' as const, format: 'binary' } }

/** Query parameters whose text form needs more than the generic line. */
const queryDescriptions: Record<string, string> = {
  classes:
    'With a raw image body: the classes to explain, ids or labels. Comma-separated, each value trimmed, and ' +
    'repeatable (`classes=3,tiger cat&classes=5`). A value whose first non-space character is `[` is a JSON ' +
    'array of ids (integers) and labels (strings, matched exactly), the way to name a label with a comma: ' +
    '`classes=["hen, rooster",3]`, URL-encoded. Multipart fields read the same way.',
}

/** Raw image bodies carry their options in the query string, one parameter per ExplainOptions field. */
const optionQueryParameters = Object.keys(explainOptionsSchema.shape).map((name) => ({
  name,
  in: 'query' as const,
  required: false,
  description: queryDescriptions[name] ?? 'With a raw image body: an ExplainOptions field.',
  schema: { type: 'string' as const },
}))

const route = createRoute({
  method: 'post',
  path: '/v1/explain',
  summary: 'Explain an image in one forward pass',
  description:
    'Predictions and a T-TAME saliency map per explained class. The image is sent as multipart (`image` file ' +
    'field, options as further fields or an `options` JSON field), as a raw image body (options in the query), ' +
    'or by `imageUrl` or `uploadId` (from `POST /v1/uploads`) in JSON. Repeats are answered from the cache ' +
    "(`X-Cache: HIT`, `timings.inferenceMs` 0). `Server-Timing` gives the edge's milliseconds (`edge`) and, on a " +
    "miss, the worker's (`worker`, its batch `queue`, `inference`). Content-Type is read per RFC 9110 (case, " +
    'parameters, quoted strings); an empty body is 400 `missing_image`. Other methods on this path are 405 with ' +
    '`Allow: POST`.',
  security: [{ apiKey: [] }],
  parameters: optionQueryParameters,
  request: {
    // Plain schemas only: the route reads and validates the body itself (readExplainRequest), because
    // zod-openapi's media-type gate refuses valid Content-Types (`application/json;`, a quoted boundary).
    body: {
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/ExplainJsonRequest' } },
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['image'],
            properties: {
              image: { type: 'string', format: 'binary' },
              options: { $ref: '#/components/schemas/ExplainOptions' },
            },
          },
        },
        'application/octet-stream': binary,
        ...Object.fromEntries(SUPPORTED_IMAGE_TYPES.map((type) => [type, binary])),
      },
    },
  },
  responses: {
    200: {
      description: 'The explanation.',
      headers: {
        ETag: {
          description:
            'Weak (`W/"<id>"`): the same for a MISS and its HITs, whose bodies differ in `cached` and `timings`.',
          schema: { type: 'string' },
        },
        'X-Cache': {
          description: '`HIT`: answered from the cache, no model ran; `MISS`: computed by a worker.',
          schema: { type: 'string', enum: ['HIT', 'MISS'] },
        },
      },
      content: { 'application/json': { schema: explainResponseSchema } },
    },
    ...problemResponses(
      ...V1_PROBLEMS,
      'bad_request',
      'bad_options',
      'missing_image',
      'image_url_rejected',
      'unknown_model',
      'upload_not_found',
      'unsupported_media_type',
      'undecodable_image',
      'image_too_large',
      'image_url_unreachable',
      'bad_worker_response',
      'no_worker_available',
      'worker_timeout',
    ),
  },
})

/**
 * `Server-Timing` (W3C Server Timing): the edge's time and, on a miss, the worker's own split (its total, the time
 * in its batch queue, inference), so that a slow answer can be placed without the logs.
 */
function serverTiming(edgeMs: number, worker: ExplainOutcome['worker']): string {
  const metrics: [string, number][] = [['edge', edgeMs]]
  if (worker)
    metrics.push(['worker', worker.totalMs], ['queue', worker.queueMs], ['inference', worker.inferenceMs])
  return metrics.map(([name, ms]) => `${name};dur=${Math.round(ms * 10) / 10}`).join(', ')
}

const SEND_AN_IMAGE =
  'The body is empty: send the image as the body, as the multipart file field `image`, or name it by ' +
  '`imageUrl` or `uploadId` in a JSON body.'

/** A raw body's type is refused in the words of the whole request: what else could have been sent. */
const rawTypeRefusal = (type: string) =>
  `Send one of ${SUPPORTED_IMAGE_TYPES.join(', ')}, multipart/form-data or application/json; got ${quoted(type)}.`

/** A body that does not parse is `malformed`; a problem raised while reading it (413) stays what it is. */
const orMalformed = (malformed: ProblemError) => (error: unknown) => {
  throw error instanceof ProblemError ? error : malformed
}

/** A JSON body: an image by reference plus options, validated by the schema the OpenAPI document shows. */
async function readJson(c: Context<EdgeContext>): Promise<ExplainRequest> {
  const body: unknown = await c.req
    .json()
    .catch(orMalformed(new ProblemError('bad_request', 'The body is not valid JSON.')))
  const parsed = explainJsonRequestSchema.safeParse(body)
  if (!parsed.success) throw badOptions(parsed.error)
  const { imageUrl, uploadId, ...options } = parsed.data
  const image = await referencedImage(
    c.env.BLOBS,
    c.var.services.settings,
    { imageUrl, uploadId },
    c.get('apiKeyId'),
    c.var.bodyHold.take,
  )
  return { image, options }
}

// workerd's parser reads every valid spelling of the header (charset first, spaces, a quoted boundary);
// only zod-openapi's media-type gate refused them, and the route has none.
async function readForm(c: Context<EdgeContext>): Promise<ExplainRequest> {
  const malformed = new ProblemError('bad_request', 'The multipart/form-data body could not be parsed.')
  const form = await c.req.formData().catch(orMalformed(malformed))
  return readMultipart(form)
}

/** The image and options of a request, whichever of the three ways it was sent, by its media type. */
async function readExplainRequest(c: Context<EdgeContext>): Promise<ExplainRequest> {
  // An empty POST forgot its image, whatever type it declares.
  if (!c.req.raw.body || c.req.header('Content-Length') === '0') throw missingImage(SEND_AN_IMAGE)
  const header = c.req.header('Content-Type')
  const type = requestMediaType(header)
  if (type?.essence === 'application/json') return readJson(c)
  if (type?.essence === 'multipart/form-data') return readForm(c)
  checkDeclaredImageType(header ?? '', rawTypeRefusal)
  const bytes = new Uint8Array(await c.req.arrayBuffer())
  if (bytes.length === 0) throw missingImage(SEND_AN_IMAGE)
  return { image: { bytes, contentType: header ?? '' }, options: optionsFromFields(c.req.queries()) }
}

export const explainRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  route,
  async (c) => {
    const { image, options } = await readExplainRequest(c)
    const { result, worker } = await c.var.services.explainer.explain(image, options, c.get('requestId'))
    c.header('X-Cache', result.cached ? 'HIT' : 'MISS')
    c.header('Server-Timing', serverTiming(result.timings.totalMs, worker))
    // Weak: a MISS and its HIT are the same explanation, but their bodies differ in `cached` and `timings`.
    c.header('ETag', `W/"${result.id}"`)
    return c.json(result, 200)
  },
)

// Referenced by the request bodies above.
explainRoutes.openAPIRegistry.register('ExplainOptions', explainOptionsSchema)
explainRoutes.openAPIRegistry.register('ExplainJsonRequest', explainJsonRequestSchema)
