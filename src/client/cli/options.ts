import { classesFromText } from '../../shared/classesText'
import { TTameClient } from '../node'
import type { ClassRef, ExplainOptions } from '../types'
import { UsageError } from './failure'

/** Where the API is when neither --url nor T_TAME_URL says: the local stack of `npm start`. */
export const DEFAULT_URL = 'http://127.0.0.1:8787'

/** Options every command takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Options that shape each explanation, for `explain` and `batch` alike. */
export const EXPLAIN_OPTIONS = {
  model: { type: 'string' },
  'top-k': { type: 'string' },
  classes: { type: 'string' },
} as const

/** A client for --url/--key, else T_TAME_URL/T_TAME_API_KEY. */
export function clientFrom(values: { url?: string; key?: string }, env: NodeJS.ProcessEnv): TTameClient {
  const url = values.url ?? env.T_TAME_URL ?? DEFAULT_URL
  const apiKey = values.key ?? env.T_TAME_API_KEY
  if (!apiKey) throw new UsageError('No API key: pass --key or set T_TAME_API_KEY.')
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new UsageError(`--url ${JSON.stringify(url)} is not an http(s) URL.`)
  return new TTameClient({ baseUrl: url, apiKey })
}

/** A flag's whole-number value. */
export function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${flag} takes a whole number; got ${JSON.stringify(value)}.`)
  return Number(value)
}

/**
 * --model, --top-k and --classes as ExplainOptions. `--classes` reads as the API reads it in a query string:
 * ids and labels separated by commas, or a JSON array for a label that holds a comma. Ranges are the API's to
 * judge: it answers a precise 400.
 */
export function explainOptionsFrom(values: {
  model?: string
  'top-k'?: string
  classes?: string
}): ExplainOptions {
  const classes = values.classes === undefined ? undefined : classesFromText(values.classes)
  if (typeof classes === 'string')
    throw new UsageError(`--classes ${JSON.stringify(classes)} is not a JSON array.`)
  return {
    model: values.model,
    topK: wholeNumber('top-k', values['top-k']),
    classes: classes as ClassRef[] | undefined,
  }
}
