import { z } from '@hono/zod-openapi'

/**
 * Schemas shared by the edge (public API, OpenAPI) and the GPU worker (internal API).
 * One definition per fact: the edge validates the public request with these, the worker validates
 * what the edge forwards with the same schemas, and both read their types from here.
 */

export const MAX_CLASSES = 10

/** A class is named by id (0-based) or by label. */
export const classRefSchema = z.union([z.number().int().nonnegative(), z.string().min(1).max(100)])

/** The id a class reference names in a model, or undefined when the model has no such class. */
export function classIdOf(
  model: { labels: readonly string[]; numClasses: number },
  ref: z.infer<typeof classRefSchema>,
): number | undefined {
  const id = typeof ref === 'number' ? ref : model.labels.indexOf(ref)
  return id >= 0 && id < model.numClasses ? id : undefined
}

export const explainOptionsSchema = z
  .object({
    model: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*(@\d+\.\d+\.\d+)?$/)
      .optional()
      .openapi({ description: 'Model id, optionally `id@version`. Defaults to the default model.' }),
    topK: z.number().int().min(1).max(MAX_CLASSES).default(3).openapi({
      description: 'How many predictions, and maps for the top-k classes.',
    }),
    classes: z.array(classRefSchema).min(1).max(MAX_CLASSES).optional().openapi({
      description: 'Explain exactly these classes (ids or labels); overrides topK for maps.',
    }),
    overlay: z.boolean().default(false).openapi({
      description: 'Also return a colour heatmap blended over the original image (PNG, original size).',
    }),
  })
  .strict()
  .openapi('ExplainOptions')

export type ExplainOptions = z.infer<typeof explainOptionsSchema>

export const sizeSchema = z.object({ width: z.number().int(), height: z.number().int() })

export const modelInfoSchema = z
  .object({
    id: z.string(),
    version: z.string(),
    family: z.enum(['cnn', 'vit']),
    numClasses: z.number().int(),
    labels: z.array(z.string()),
    input: sizeSchema,
    mapSize: sizeSchema,
    default: z.boolean(),
  })
  .openapi('Model')

export type ModelInfo = z.infer<typeof modelInfoSchema>

export const modelListSchema = z.object({ models: z.array(modelInfoSchema) }).openapi('ModelList')

export const predictionSchema = z
  .object({ classId: z.number().int(), label: z.string(), score: z.number() })
  .openapi('Prediction')

export const explanationSchema = z
  .object({
    classId: z.number().int(),
    label: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    map: z.string().openapi({ description: 'Base64 8-bit grayscale PNG, 0..255 = min-max scaled saliency.' }),
    overlay: z.string().optional().openapi({ description: 'Base64 PNG heatmap over the original image.' }),
  })
  .openapi('Explanation')

export const cropSchema = z
  .object({ x: z.number().int(), y: z.number().int(), width: z.number().int(), height: z.number().int() })
  .openapi('Crop', { description: "Where the model's input crop lies, in original-image pixels." })

/** What a GPU worker answers on `POST /internal/v1/explain`; the edge adds id, sha256, cached. */
export const workerExplainResultSchema = z.object({
  model: z.object({ id: z.string(), version: z.string() }),
  image: sizeSchema,
  crop: cropSchema,
  predictions: z.array(predictionSchema),
  explanations: z.array(explanationSchema),
  timings: z.object({ inferenceMs: z.number(), queueMs: z.number(), totalMs: z.number() }),
})

export type WorkerExplainResult = z.infer<typeof workerExplainResultSchema>

/** RFC 9457 problem details, plus the request id and a stable machine-readable code. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().optional(),
    requestId: z.string().optional(),
  })
  .openapi('Problem')

export type Problem = z.infer<typeof problemSchema>

/** The problem body of a failure, at the edge and at the worker alike: `type` is one stable URI per code. */
export function problemDetails(failure: {
  status: number
  code: string
  title: string
  detail?: string | undefined
  requestId?: string | undefined
}): Problem {
  return {
    type: `https://t-tame.dev/problems/${failure.code}`,
    title: failure.title,
    status: failure.status,
    ...(failure.detail ? { detail: failure.detail } : {}),
    code: failure.code,
    requestId: failure.requestId,
  }
}

/** What `POST /v1/uploads` hands out: 128 random bits, base64url. */
export const uploadIdSchema = z
  .string()
  .regex(/^upl_[A-Za-z0-9_-]{22}$/, 'not an upload id')
  .openapi({ description: 'From `POST /v1/uploads`, once its bytes were PUT.' })

/** An image named rather than sent (explain JSON bodies, job items): by https URL or by upload id. */
export const imageReferenceShape = {
  imageUrl: z
    .url()
    .optional()
    .openapi({ description: 'https URL of the image (see Security in the API guide).' }),
  uploadId: uploadIdSchema.optional(),
}

/** The refinement every image reference takes: exactly one of its two ways. */
export const exactlyOneImageReference = [
  (reference: { imageUrl?: string; uploadId?: string }) =>
    (reference.imageUrl === undefined) !== (reference.uploadId === undefined),
  { message: 'give exactly one of imageUrl or uploadId' },
] as const

/** `POST /v1/explain` with `application/json`: an image by URL or by upload id, plus the options. */
export const explainJsonRequestSchema = explainOptionsSchema
  .extend(imageReferenceShape)
  .strict()
  .refine(...exactlyOneImageReference)
  .openapi('ExplainJsonRequest')

/** The public answer of `POST /v1/explain`: the worker's result plus identity, image hash and cache state. */
export const explainResponseSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: 'Content-addressed id: the same image, model and options give the same id.' }),
    model: z.object({ id: z.string(), version: z.string() }),
    image: z.object({ sha256: z.string(), width: z.number().int(), height: z.number().int() }),
    crop: cropSchema,
    predictions: z.array(predictionSchema),
    explanations: z.array(explanationSchema),
    cached: z.boolean(),
    timings: z.object({
      totalMs: z.number().openapi({ description: 'Time spent on this request at the edge.' }),
      inferenceMs: z.number().openapi({ description: 'Model time when the explanation was computed.' }),
    }),
  })
  .openapi('ExplainResult')

export type ExplainResponse = z.infer<typeof explainResponseSchema>

/**
 * ExplainOptions written as text (a query string or form fields) to the values the schema expects: a digit
 * string is a number (`topK`, class ids), `classes` is comma-separated (and may repeat), `overlay` is
 * `true`/`false`. Anything else is left as text for `explainOptionsSchema` to judge.
 */
export function explainOptionsFromText(fields: Record<string, string | string[]>): Record<string, unknown> {
  const digits = (value: string) => (/^\d+$/.test(value) ? Number(value) : value)
  const typed: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(fields)) {
    const values = typeof raw === 'string' ? [raw] : raw
    const last = values.at(-1) ?? ''
    if (name === 'classes') typed[name] = values.flatMap((v) => v.split(',')).map((v) => digits(v.trim()))
    else if (name === 'topK') typed[name] = digits(last)
    else if (name === 'overlay') typed[name] = last === 'true' ? true : last === 'false' ? false : last
    else typed[name] = last
  }
  return typed
}

/** What the worker's explain query carries: options already resolved against the model catalogue. */
export interface WorkerExplainQuery {
  model: string
  topK: number
  classes?: number[] | undefined
  overlay: boolean
}

/** A WorkerExplainQuery as the text `explainOptionsFromText` reads back (docs/internal-protocol.md). */
export function explainOptionsToText(options: WorkerExplainQuery): URLSearchParams {
  const text = new URLSearchParams({
    model: options.model,
    topK: String(options.topK),
    overlay: String(options.overlay),
  })
  if (options.classes) text.set('classes', options.classes.join(','))
  return text
}
