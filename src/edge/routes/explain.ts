import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { explainJsonRequestSchema, explainOptionsSchema, explainResponseSchema } from '../../shared/contract'
import { SUPPORTED_IMAGE_TYPES } from '../../shared/imageType'
import type { EdgeContext } from '../context'
import { explainImage } from '../explain/explainImage'
import { type ExplainRequest, optionsFromFields, readMultipart } from '../explain/explainRequest'
import { checkDeclaredImageType } from '../explain/imageType'
import { problemResponses, validationHook } from '../problem/openapi'
import { ProblemError } from '../problem/problem'
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
    'or by `imageUrl` or `uploadId` (from `POST /v1/uploads`) in JSON. Repeats are answered from the cache (`X-Cache: HIT`).',
  security: [{ apiKey: [] }],
  parameters: optionQueryParameters,
  middleware: [
    // Before the schema validators: unsupported types get a precise 415 (with the HEIC hint), not a generic one.
    async (c, next) => {
      const type = c.req.header('Content-Type') ?? ''
      if (!/^(application\/json|multipart\/form-data)\b/i.test(type)) checkDeclaredImageType(type)
      await next()
    },
  ],
  request: {
    // Not `required`: zod-openapi would then run the JSON validator on every media type.
    body: {
      content: {
        'application/json': { schema: explainJsonRequestSchema },
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
      description: 'The explanation. Headers: `X-Cache: HIT|MISS`, `ETag`.',
      content: { 'application/json': { schema: explainResponseSchema } },
    },
    ...problemResponses(400, 401, 404, 413, 415, 422, 429, 503, 504),
  },
})

type JsonBody = z.output<typeof explainJsonRequestSchema>

/** The image and options of a request, whichever of the three ways it was sent. */
async function readExplainRequest(c: Context<EdgeContext>): Promise<ExplainRequest> {
  const type = c.req.header('Content-Type') ?? ''
  if (/^application\/json/i.test(type)) {
    // Validated by the route's JSON schema; zod-openapi cannot type it while other media types are plain schemas.
    const { imageUrl, uploadId, ...options } = c.req.valid('json' as never) as JsonBody
    return { image: await referencedImage(c.env, { imageUrl, uploadId }, c.get('apiKeyId')), options }
  }
  if (/^multipart\/form-data/i.test(type)) {
    const form = await c.req.formData().catch(() => {
      throw new ProblemError(
        400,
        'bad_request',
        'Malformed multipart body',
        'The multipart/form-data body could not be parsed.',
      )
    })
    return readMultipart(form)
  }
  const image = { bytes: new Uint8Array(await c.req.arrayBuffer()), contentType: type }
  return { image, options: optionsFromFields(c.req.queries()) }
}

export const explainRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  route,
  async (c) => {
    const { image, options } = await readExplainRequest(c)
    const { result, cache } = await explainImage(c.env, image, options, c.get('requestId'))
    c.header('X-Cache', cache)
    c.header('ETag', `"${result.id}"`)
    return c.json(result, 200)
  },
)

// Referenced by the multipart body above.
explainRoutes.openAPIRegistry.register('ExplainOptions', explainOptionsSchema)
