import type { z } from '@hono/zod-openapi'
import { type ExplainOptions, explainOptionsFromText, explainOptionsSchema } from '../../shared/contract'
import { formatIssues } from '../../shared/issues'
import { ProblemError } from '../problem/problem'

export const badOptions = (error: z.ZodError) =>
  new ProblemError(400, 'bad_options', 'Invalid options', formatIssues(error, 'options'))

/**
 * Options sent as text fields: `?topK=3&classes=3,cat&overlay=true`, or the same as form fields, or a form
 * field `options` holding the JSON object. Validated by the same schema as JSON requests.
 */
export function optionsFromFields(fields: Record<string, string[]>): ExplainOptions {
  let fromJson: unknown = {}
  const { options: json, ...rest } = fields
  if (json) {
    try {
      fromJson = JSON.parse(json.at(-1) ?? '')
    } catch {
      throw new ProblemError(400, 'bad_options', 'Invalid options', 'The `options` field is not valid JSON.')
    }
  }
  const parsed = explainOptionsSchema.safeParse({ ...(fromJson as object), ...explainOptionsFromText(rest) })
  if (!parsed.success) throw badOptions(parsed.error)
  return parsed.data
}

export interface ExplainRequest {
  image: { bytes: Uint8Array; contentType: string }
  options: ExplainOptions
}

/** A multipart form: the file field `image`, every other field an option. */
export async function readMultipart(form: FormData): Promise<ExplainRequest> {
  const file = form.get('image')
  if (!(file instanceof File)) {
    throw new ProblemError(400, 'missing_image', 'Missing image', 'Send the image as the file field `image`.')
  }
  const fields: Record<string, string[]> = {}
  for (const [name, value] of form) {
    if (name !== 'image' && typeof value === 'string') fields[name] = [...(fields[name] ?? []), value]
  }
  return {
    image: { bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type },
    options: optionsFromFields(fields),
  }
}
