import { z } from '@hono/zod-openapi'
import { classesFromText, digits } from './classesText'
import { quoted } from './issues'

/**
 * Schemas shared by the edge (public API, OpenAPI) and the GPU worker (internal API).
 * One definition per fact: the edge validates the public request with these, the worker validates
 * what the edge forwards with the same schemas, and both read their types from here.
 */

export const MAX_CLASSES = 10

/** How an overlay can be encoded; the first is the default. */
export const OVERLAY_FORMATS = ['webp', 'png', 'jpeg'] as const
export type OverlayFormat = (typeof OVERLAY_FORMATS)[number]
export const DEFAULT_OVERLAY_FORMAT: OverlayFormat = 'webp'
const MIN_OVERLAY_SIDE = 16
const MAX_OVERLAY_SIDE = 8192

/** A class is named by id (0-based) or by label. */
export const classRefSchema = z.union([z.number().int().nonnegative(), z.string().min(1).max(100)], {
  error: 'expected a class id (an integer from 0) or a label',
})

export type ClassRef = z.infer<typeof classRefSchema>

/**
 * The ids that class references name in a model, in the order asked, or why one of them names no class or
 * several. Labels match exactly; a label that several classes share (ImageNet has two "crane"s) is refused
 * rather than guessed. The edge and the worker both resolve with this, each raising its own problem.
 */
export function classIdsOf(
  model: { id: string; labels: readonly string[]; numClasses: number },
  refs: readonly ClassRef[],
): { ids: number[] } | { refused: string } {
  const ids: number[] = []
  for (const ref of refs) {
    const candidates =
      typeof ref === 'number' ? [ref] : model.labels.flatMap((label, id) => (label === ref ? [id] : []))
    const named = candidates.filter((id) => id < model.numClasses)
    if (named.length === 0) {
      const ids = `ids 0..${model.numClasses - 1}`
      const hint = typeof ref === 'number' ? ids : `${ids}; ${labelHint(model, ref)}`
      return { refused: `Model ${model.id} has no class ${quoted(ref)} (${hint}).` }
    }
    if (named.length > 1) {
      const listed = `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`
      return { refused: `Label ${quoted(ref)} names classes ${listed} of ${model.id}; ask by id.` }
    }
    ids.push(named[0] as number)
  }
  return { ids }
}

/** Labels a small model has all of; of a bigger one a few (those like `asked`, else the first) are named. */
const LISTED_LABELS = 10
const SAMPLED_LABELS = 5

/** Where an unknown label is refused: the labels there are, and the route that lists them all. */
function labelHint(
  model: { id: string; labels: readonly string[]; numClasses: number },
  asked: string,
): string {
  const labels = model.labels.slice(0, model.numClasses)
  const route = `GET /v1/models/${model.id}`
  if (labels.length <= LISTED_LABELS) return `labels ${labels.map(quoted).join(', ')}; ${route} lists them`
  const needle = asked.toLowerCase()
  const alike = labels.filter((label) => label.toLowerCase().includes(needle)).slice(0, SAMPLED_LABELS)
  const sample = alike.length
    ? `labels like it: ${alike.map(quoted).join(', ')}`
    : `labels ${labels.slice(0, SAMPLED_LABELS).map(quoted).join(', ')}, …`
  return `${sample}; ${route} lists all ${labels.length}`
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
    classes: z
      .array(classRefSchema, { error: 'expected a list of class ids or labels' })
      .min(1)
      .max(MAX_CLASSES)
      .optional()
      .openapi({
        description:
          'Explain exactly these classes (ids or labels, labels matched exactly); overrides topK for maps. ' +
          'A label that several classes share is refused: ask by id.',
      }),
    overlay: z
      .boolean()
      .default(false)
      .openapi({
        description:
          'Also return each map as a colour heatmap over the photo (in its displayed orientation), opaque where the ' +
          'map is hot and transparent where it is cold, encoded as `overlayFormat`.',
      }),
    overlayFormat: z
      .enum(OVERLAY_FORMATS)
      .default(DEFAULT_OVERLAY_FORMAT)
      .openapi({
        description:
          'Encoding of `overlay`: WebP (the default: about a quarter of the PNG bytes at the same clarity, see ' +
          'docs/overlays.md), lossless PNG, or JPEG. Ignored without `overlay`.',
      }),
    overlayMaxSide: z
      .number()
      .int()
      .min(MIN_OVERLAY_SIDE)
      .max(MAX_OVERLAY_SIDE)
      .optional()
      .openapi({
        description:
          'The overlay fits a square of this many pixels (aspect kept, never enlarged). The server caps it at its ' +
          'own limit, OVERLAY_MAX_SIDE (1024 by default), which is also what applies without this option.',
      }),
  })
  .strict()
  .openapi('ExplainOptions')

export type ExplainOptions = z.infer<typeof explainOptionsSchema>

export const sizeSchema = z.object({ width: z.number().int(), height: z.number().int() })

/** How a photo becomes the model's input, for clients that run the model themselves (the manifest's). */
export const modelPreprocessingSchema = z
  .object({
    resizeShorter: z.number().int().openapi({ description: "The photo's shorter side is resized to this." }),
    crop: z.number().int().openapi({ description: 'Then the centre `crop` x `crop` square is the input.' }),
  })
  .openapi('Preprocessing', {
    description:
      'Decode in the displayed orientation, transparency on white, resize the shorter side to `resizeShorter` ' +
      "(Lanczos-3), take the centre square; values in [0, 1], channels first. The server's own resize is " +
      "libvips'; src/web/modelInput.ts reproduces it.",
  })

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256 in lowercase hex')

/** A file of a model pack as a worker serves it: named by its content. */
export const packFileSchema = z.object({ sha256: sha256Schema, bytes: z.number().int() })

/**
 * A served model with all its labels, as the workers list it (the edge resolves labels with it and mirrors it
 * in KV); the public `Model` adds the link to its ONNX graph.
 */
export const modelInfoSchema = z.object({
  id: z.string(),
  version: z.string(),
  family: z.enum(['cnn', 'vit']),
  numClasses: z.number().int(),
  labels: z.array(z.string()).openapi({ description: 'Class labels; index = class id.' }),
  input: sizeSchema,
  mapSize: sizeSchema,
  default: z.boolean(),
  preprocessing: modelPreprocessingSchema,
  /** The explanation graph (`model.onnx`), which the workers checked against this sha256 when they started. */
  onnx: packFileSchema,
})

export type ModelInfo = z.infer<typeof modelInfoSchema>

/**
 * `GET /v1/models/{id}`, and, plus `labelsUrl`, each entry of `GET /v1/models` (docs/api.md lists `labels`
 * there): the model with all its labels and where to download its ONNX graph to run it on a device.
 */
export const modelSchema = z
  .object(modelInfoSchema.shape)
  .extend({
    onnx: packFileSchema
      .extend({
        url: z.url().openapi({
          description:
            'The ONNX graph (backbone + T-TAME: inputs `image` [N,3,S,S] in [0,1] and `classes` [N,K]; outputs ' +
            '`logits`, `class_ids`, `maps`), named by its sha256 and cached immutably: `GET /v1/model-files/{sha256}`.',
        }),
      })
      .openapi({
        description: 'The explanation graph, to run the model on a device (onnxruntime-web, mobile).',
      }),
  })
  .openapi('Model')

export type Model = z.infer<typeof modelSchema>

/**
 * An entry of `GET /v1/models`: the model as the public contract has it, plus a link to the model alone. Its
 * labels are left out only when the client asks `labels=false` (a 1000-class pack's labels are ~12.7 KB).
 */
export const modelListEntrySchema = z
  // From the shape, not `modelSchema.extend`: that is `allOf: [Model, …]` in OpenAPI, labels still required.
  .object(modelSchema.shape)
  .extend({
    labels: modelSchema.shape.labels.optional().openapi({
      description: 'Class labels; index = class id. Present unless the list was asked with `labels=false`.',
    }),
    labelsUrl: z
      .url()
      .openapi({ description: 'This model with its labels: `GET /v1/models/{id}@{version}`.' }),
  })
  .openapi('ModelListEntry')

export type ModelListEntry = z.infer<typeof modelListEntrySchema>

/** `GET /v1/models`. */
export const modelListSchema = z.object({ models: z.array(modelListEntrySchema) }).openapi('ModelList')

/** What a GPU worker answers on `GET /internal/v1/models`: the models with their labels. */
export const workerModelListSchema = z.object({ models: z.array(modelInfoSchema) })

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
    overlay: z
      .string()
      .optional()
      .openapi({
        description:
          'Base64 heatmap over the photo as displayed, encoded as `overlayType`, scaled down to fit `overlayMaxSide` ' +
          "(at most the server's OVERLAY_MAX_SIDE, 1024 px by default; smaller photos keep their size).",
      }),
    overlayType: z
      .enum(['image/webp', 'image/png', 'image/jpeg'])
      .optional()
      .openapi({ description: 'Media type of `overlay`, present with it.' }),
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
      inferenceMs: z.number().openapi({
        description:
          "Model time spent on this request: the worker's inference on a miss, 0 on a hit (`cached: true`), " +
          'which ran no model and was answered from the cache.',
      }),
    }),
  })
  .openapi('ExplainResult')

export type ExplainResponse = z.infer<typeof explainResponseSchema>

/**
 * ExplainOptions written as text (a query string or form fields) to the values the schema expects: a digit
 * string is a number (`topK`, `overlayMaxSide`, class ids), `classes` is comma-separated or a JSON array (and may repeat),
 * `overlay` is `true`/`false`. Anything else is left as text for `explainOptionsSchema` to judge.
 */
export function explainOptionsFromText(fields: Record<string, string | string[]>): Record<string, unknown> {
  // Field names are the caller's: on a plain object `__proto__` would set the prototype instead of a key.
  const typed: Record<string, unknown> = Object.create(null)
  for (const [name, raw] of Object.entries(fields)) {
    const values = typeof raw === 'string' ? [raw] : raw
    const last = values.at(-1) ?? ''
    if (name === 'classes') {
      const lists = values.map(classesFromText)
      typed[name] = lists.find((list) => typeof list === 'string') ?? lists.flat()
    } else if (name === 'topK' || name === 'overlayMaxSide') typed[name] = digits(last)
    else if (name === 'overlay') typed[name] = last === 'true' ? true : last === 'false' ? false : last
    else typed[name] = last
  }
  return typed
}

/** A query parameter: its text and the value it stands for (a zod codec: `decode` reads, `encode` writes). */
const queryText = <T extends z.ZodType>(
  pattern: RegExp,
  message: string,
  value: T,
  read: (text: string) => z.input<T>,
  write: (value: z.input<T>) => string = String,
) => z.codec(z.string().regex(pattern, message), value, { decode: read, encode: write })

/**
 * The query of `POST /internal/v1/explain` (docs/internal-protocol.md), written by the edge and read by the worker
 * with this one schema. The edge has resolved everything by then: `model` is `id@version` and `classes` are ids
 * (labels are resolved once, at the edge). Without `model` the worker takes its default model.
 */
export const workerExplainQuerySchema = z
  .object({
    model: explainOptionsSchema.shape.model,
    topK: queryText(
      /^\d{1,2}$/,
      'expected a whole number',
      z.number().int().min(1).max(MAX_CLASSES),
      Number,
    ).default(3),
    overlay: queryText(
      /^(true|false)$/,
      'expected true or false',
      z.boolean(),
      (text) => text === 'true',
    ).default(false),
    classes: queryText(
      /^\d{1,9}(,\d{1,9})*$/,
      'expected comma-separated class ids',
      z.array(z.number().int().nonnegative()).min(1).max(MAX_CLASSES),
      (text) => text.split(',').map(Number),
      (ids) => ids.join(','),
    ).optional(),
    overlayFormat: z.enum(OVERLAY_FORMATS).default(DEFAULT_OVERLAY_FORMAT),
    overlayMaxSide: queryText(
      /^\d{1,4}$/,
      'expected a whole number',
      explainOptionsSchema.shape.overlayMaxSide.unwrap(),
      Number,
    ).optional(),
  })
  .strict()

export type WorkerExplainQuery = z.output<typeof workerExplainQuerySchema>

/** A WorkerExplainQuery as the query string the worker reads back; absent options are left out. */
export function workerExplainQueryText(query: WorkerExplainQuery): URLSearchParams {
  const fields = Object.entries(z.encode(workerExplainQuerySchema, query))
  return new URLSearchParams(fields.filter((field): field is [string, string] => field[1] !== undefined))
}
