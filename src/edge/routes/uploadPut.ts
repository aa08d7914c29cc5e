import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { ProblemError } from '../../shared/problem'
import { BODY_IDLE_MS, bodyTimeout, withIdleDeadline } from '../body/bodyDeadline'
import { payloadTooLarge } from '../body/bodyLength'
import type { EdgeContext } from '../context'
import { mediaTypeOf } from '../explain/mediaType'
import { problemResponses, validationHook } from '../problem/openapi'
import { parseUploadUrl, SIGNED_UPLOAD_PATH } from '../uploads/signedUploadUrl'
import { verifyUpload } from '../uploads/uploadSigner'
import { storeUpload, uploadExists } from '../uploads/uploadStore'

const putUpload = createRoute({
  method: 'put',
  path: `${SIGNED_UPLOAD_PATH}/{uploadId}`,
  summary: 'PUT the image bytes to a signed upload URL (no API key)',
  description:
    'Use `uploadUrl` from `POST /v1/uploads` as is: its query (expires, contentType, maxLength, signature) is signed.',
  security: [],
  request: {
    params: z.object({ uploadId: z.string() }),
  },
  responses: {
    204: { description: 'Stored; use the uploadId in /v1/explain or /v1/jobs' },
    ...problemResponses(
      'upload_url_invalid',
      'upload_url_expired',
      'unsupported_media_type',
      'length_required',
      'payload_too_large',
      'upload_url_used',
      'body_timeout',
      'upload_incomplete',
    ),
  },
})

/** `PUT /uploads/{id}?…&signature=…`: the signature, not an API key, authorises exactly one image. */
export const uploadPutRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  putUpload,
  async (c) => {
    const claim = parseUploadUrl(new URL(c.req.url))
    // Malformed and tampered URLs get the same answer: which part failed is no business of a forger.
    const secret = c.var.services.settings.UPLOAD_SIGNING_SECRET
    if (!claim || !(await verifyUpload(secret, claim.grant, claim.signature))) {
      throw new ProblemError('upload_url_invalid', 'The upload URL is not one this API signed.')
    }
    const { grant } = claim
    if (grant.expiresAt * 1000 <= Date.now())
      throw new ProblemError('upload_url_expired', 'The upload URL has expired.')
    if (mediaTypeOf(c.req.header('Content-Type')) !== grant.contentType) {
      throw new ProblemError('unsupported_media_type', `This URL accepts Content-Type ${grant.contentType}.`)
    }
    const length = c.req.header('Content-Length')
    if (!length || !/^\d+$/.test(length)) {
      throw new ProblemError('length_required', 'Send the body with a Content-Length.')
    }
    if (Number(length) > grant.maxLength) throw payloadTooLarge(grant.maxLength)
    if (await uploadExists(c.env.BLOBS, grant.uploadId)) throw alreadyUsed()
    // A declared length that never arrives is answered 408, not waited on for ever (src/edge/README.md).
    const body = withIdleDeadline(c.req.raw.body ?? new Blob([]).stream(), BODY_IDLE_MS)
    const outcome = await storeUpload(c.env.BLOBS, grant, body.body, Number(length))
    if (body.timedOut()) throw bodyTimeout(BODY_IDLE_MS)
    if (outcome === 'taken') throw alreadyUsed()
    if (outcome === 'incomplete') {
      throw new ProblemError('upload_incomplete', 'The body did not match its Content-Length.')
    }
    return c.body(null, 204)
  },
)

const alreadyUsed = () => new ProblemError('upload_url_used', 'An upload URL stores one image only once.')
