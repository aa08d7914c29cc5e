import { z } from 'zod'

/** The model-pack contract between training/ (writer) and src/gpu-worker (reader). Versioned by `schemaVersion`. */
const size = z.object({ width: z.number().int().positive(), height: z.number().int().positive() })

export const explanationMetricsSchema = z.object({
  AD100: z.number(),
  IC100: z.number(),
  AD50: z.number(),
  IC50: z.number(),
  AD15: z.number(),
  IC15: z.number(),
  MoRF: z.number(),
  LeRF: z.number(),
})

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    family: z.enum(['cnn', 'vit']),
    backbone: z.string().min(1),
    featureLayers: z.array(z.string().min(1)).min(1),
    labels: z.array(z.string().min(1)).min(2),
    numClasses: z.number().int().min(2),
    input: size,
    preprocessing: z.object({
      /** Shorter image side is resized to this many pixels ... */
      resizeShorter: z.number().int().positive(),
      /** ... then the centre `crop` x `crop` square is taken. */
      crop: z.number().int().positive(),
      /** Per-channel standardisation; applied inside the ONNX graph, recorded for reference. */
      mean: z.tuple([z.number(), z.number(), z.number()]),
      std: z.tuple([z.number(), z.number(), z.number()]),
    }),
    mapSize: size,
    onnx: z.object({
      file: z.string().regex(/^[\w.-]+\.onnx$/),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      opset: z.number().int().min(17),
    }),
    /** The same backbone without the attention (inputs `image`; outputs `logits`, `features` = last feature
     *  layer): the baseline for explanation-cost ratios and the graph RISE / Score-CAM run on. */
    classifier: z
      .object({ file: z.string().regex(/^[\w.-]+\.onnx$/), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
      .optional(),
    training: z.object({
      data: z.string(),
      seed: z.number().int(),
      epochs: z.record(z.string(), z.number().int().nonnegative()),
      commands: z.array(z.string()).min(1),
      hardware: z.string(),
      log: z.record(z.string(), z.unknown()).optional(),
    }),
    metrics: z.object({
      /** Absent when the pack was exported without labelled images to measure it on. */
      top1: z.number().min(0).max(1).optional(),
      /** What top-1 was measured on. */
      top1Data: z.string().optional(),
      explanations: explanationMetricsSchema.optional(),
    }),
  })
  .refine((m) => m.labels.length === m.numClasses, { message: 'labels.length must equal numClasses' })
  .refine((m) => m.input.width === m.preprocessing.crop && m.input.height === m.preprocessing.crop, {
    message: 'input size must equal the centre crop',
  })

export type Manifest = z.infer<typeof manifestSchema>
