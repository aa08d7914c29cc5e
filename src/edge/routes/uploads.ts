import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { type ImageType, SUPPORTED_IMAGE_TYPES } from '../../shared/imageType'
import { ProblemError } from '../../shared/problem'
import { createUploadRequestSchema, createUploadResponseSchema } from '../../shared/uploadSchemas'
import { payloadTooLarge } from '../body/bodyLength'
import type { EdgeContext } from '../context'
import { mediaTypeOf } from '../explain/mediaType'
import { problemResponses, V1_PROBLEMS, validationHook } from '../problem/openapi'
import { buildUploadUrl, newUploadId } from '../uploads/signedUploadUrl'
import { signUpload } from '../uploads/uploadSigner'

/** An upload names its exact type up front: the signature binds the PUT to it. */
function uploadType(declared: string): ImageType {
  const type = mediaTypeOf(declared)
  const supported = SUPPORTED_IMAGE_TYPES.find((candidate) => candidate === type)
  if (supported) return supported
  const detail = `Uploads accept ${SUPPORTED_IMAGE_TYPES.join(', ')}; got ${type || 'none'}.`
  throw new ProblemError('unsupported_media_type', detail)
}

const createUpload = createRoute({
  method: 'post',
  path: '/v1/uploads',
  security: [{ apiKey: [] }],
  summary: 'Get a signed, single-use URL to PUT one image to',
  request: {
    body: { required: true, content: { 'application/json': { schema: createUploadRequestSchema } } },
  },
  responses: {
    201: {
      description: 'Upload URL',
      content: { 'application/json': { schema: createUploadResponseSchema } },
    },
    ...problemResponses(...V1_PROBLEMS, 'bad_request', 'bad_options', 'unsupported_media_type'),
  },
})

/** `POST /v1/uploads` (API key): grants one PUT of one image to a signed URL. */
export const uploadRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  createUpload,
  async (c) => {
    const { settings } = c.var.services
    const { contentType, contentLength } = c.req.valid('json')
    const type = uploadType(contentType)
    if (contentLength > settings.MAX_BODY_BYTES) throw payloadTooLarge(settings.MAX_BODY_BYTES)
    const grant = {
      uploadId: newUploadId(),
      owner: c.get('apiKeyId'),
      expiresAt: Math.floor(Date.now() / 1000) + settings.UPLOAD_URL_TTL_SECONDS,
      contentType: type,
      maxLength: contentLength,
    }
    const signature = await signUpload(settings.UPLOAD_SIGNING_SECRET, grant)
    return c.json(
      {
        uploadId: grant.uploadId,
        uploadUrl: buildUploadUrl(settings, grant, signature),
        method: 'PUT' as const,
        headers: { 'Content-Type': type },
        expiresAt: new Date(grant.expiresAt * 1000).toISOString(),
      },
      201,
    )
  },
)
