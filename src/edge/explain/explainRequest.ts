import type { z } from '@hono/zod-openapi'
import { type ExplainOptions, explainOptionsFromText, explainOptionsSchema } from '../../shared/contract'
import type { ImageBytes } from '../../shared/imageType'
import { formatIssues } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'

export const badOptions = (error: z.ZodError) =>
  new ProblemError('bad_options', formatIssues(error, 'options'))

export const missingImage = (detail: string) => new ProblemError('missing_image', detail)

/** The multipart field `options`: a JSON object, or a 400. */
function optionsField(text: string): object {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Refused below, as any other value that is no object.
  }
  // Spread into the options, a string, number or array would become keys ("0") or nothing at all.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  throw new ProblemError('bad_options', 'The `options` field is not a JSON object.')
}

/**
 * Options sent as text fields: `?topK=3&classes=3,cat&overlay=true`, or the same as form fields, or a form
 * field `options` holding the JSON object. Validated by the same schema as JSON requests. Field names are
 * the caller's: every one is an option name for the schema to judge, none is looked up on a prototype.
 */
export function optionsFromFields(fields: Record<string, string[]>): ExplainOptions {
  const { options: json, ...rest } = fields
  const fromJson = json ? optionsField(json.at(-1) ?? '') : {}
  const parsed = explainOptionsSchema.safeParse({ ...fromJson, ...explainOptionsFromText(rest) })
  if (!parsed.success) throw badOptions(parsed.error)
  return parsed.data
}

export interface ExplainRequest {
  image: ImageBytes
  options: ExplainOptions
}

/** A multipart form: the file field `image`, every other field an option. */
export async function readMultipart(form: FormData): Promise<ExplainRequest> {
  const file = form.get('image')
  if (!(file instanceof File)) throw missingImage('Send the image as the file field `image`.')
  // Without a prototype, a field named `__proto__` or `constructor` is a field like any other.
  const fields: Record<string, string[]> = Object.create(null)
  for (const [name, value] of form) {
    if (name === 'image' || typeof value !== 'string') continue
    const values = fields[name]
    // Pushed, not copied: a form of many same-named fields stays linear.
    if (values) values.push(value)
    else fields[name] = [value]
  }
  return {
    image: { bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type },
    options: optionsFromFields(fields),
  }
}
