import { z } from '@hono/zod-openapi'

export const createUploadRequestSchema = z
  .object({
    contentType: z.string().openapi({ example: 'image/jpeg', description: 'The type the PUT will send.' }),
    contentLength: z.number().int().positive().openapi({
      example: 123456,
      description: 'Size in bytes; the PUT may send at most this many.',
    }),
  })
  .strict()
  .openapi('CreateUploadRequest')

export const createUploadResponseSchema = z
  .object({
    uploadId: z.string(),
    uploadUrl: z.url().openapi({ description: 'Signed, single-use; PUT the bytes here without an API key.' }),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).openapi({ description: 'Headers the PUT must send.' }),
    expiresAt: z.iso.datetime(),
  })
  .openapi('Upload')
