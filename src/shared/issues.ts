import type { z } from 'zod'

/** How much of a caller's input a message quotes: enough to recognise it, never a 5 MiB value back. */
const MAX_QUOTED_CHARS = 100
const MAX_LISTED = 5

/** `text` cut to `max` characters with an ellipsis, never splitting a surrogate pair. */
const cut = (text: string, max = MAX_QUOTED_CHARS): string => {
  if (text.length <= max) return text
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max
  return `${text.slice(0, end)}…`
}

/** Caller input inside a message (problem details, logs): a string JSON-quoted and cut, a number as is. */
export const quoted = (value: string | number): string =>
  typeof value === 'number' ? String(value) : JSON.stringify(cut(value))

/** The first few of `items`, then how many more there are. */
const listed = (items: readonly string[]): string => {
  const shown = items.slice(0, MAX_LISTED).join(', ')
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown
}

// zod's messages quote unknown keys whole; every other message is the schema's own text, bounded anyway.
const messageOf = (issue: z.core.$ZodIssue): string =>
  issue.code === 'unrecognized_keys'
    ? `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${listed(issue.keys.map(quoted))}`
    : cut(issue.message, 4 * MAX_QUOTED_CHARS)

/**
 * A zod error as one line, `path: message; ...`, for problem details and start-up errors; `root` names the
 * whole value. Bounded whatever the input: a few issues, paths and keys quoted at most `MAX_QUOTED_CHARS`.
 */
export const formatIssues = (error: z.core.$ZodError, root = '(root)'): string => {
  const lines = error.issues.map(
    (issue) => `${issue.path.map((key) => cut(String(key))).join('.') || root}: ${messageOf(issue)}`,
  )
  const shown = lines.slice(0, MAX_LISTED).join('; ')
  return lines.length > MAX_LISTED ? `${shown}; and ${lines.length - MAX_LISTED} more issues` : shown
}
